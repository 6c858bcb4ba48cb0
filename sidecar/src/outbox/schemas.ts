import { z } from 'zod';
import { compileCheck, type FastCheck } from './fastcheck';

/**
 * The canonical payload of every event type (schema_version 1), the contract with consumers. Objects
 * are open (`looseObject`): the addon may add fields (add, never rename), consumers must ignore the
 * ones they do not know. Exported as JSON Schema by `eventJsonSchemas()` (docs/relay.md, the CLI).
 * Mirrors odoo_addon/logistics_bridge/lib/canonical.py; checked against real emitted events in the
 * odoo test tier.
 */
const id = z.number().int();
const text = z.string().nullable();
const quantity = z.number();

export const productRef = z.looseObject({ id, default_code: text, barcode: text, name: text });
export const locationRef = z.looseObject({ id, name: text, barcode: text });
export const partnerRef = z.looseObject({ id, ref: text, city: text, country_code: text });
/** A unit of measure is sent by name (e.g. "Units", "kg"). */
const uom = z.string();

export const lineSchema = z.looseObject({
  product: productRef,
  quantity,
  uom,
  line_id: id.optional(),
  expected_date: text.optional(),
  lot: text.optional(),
  location: locationRef.nullable().optional(),
  location_dest: locationRef.nullable().optional(),
  quantity_done: quantity.nullable().optional(),
});

export const orderPayload = z.looseObject({
  order: z.looseObject({
    id,
    name: z.string(),
    kind: z.enum(['sale', 'purchase']),
    state: z.string(),
    date: text,
    client_ref: text,
    partner: partnerRef.nullable(),
    warehouse: z.unknown(),
    company_id: id.nullable(),
  }),
  lines: z.array(lineSchema),
});

export const shipmentPayload = z.looseObject({
  shipment: z.looseObject({
    id,
    name: z.string(),
    direction: z.enum(['inbound', 'outbound', 'internal']),
    picking_type: z.unknown(),
    warehouse: z.unknown(),
    state: z.string(),
    origin: text,
    return_of: z.unknown(),
    scheduled_date: text,
    date_done: text,
    partner: partnerRef.nullable(),
    location: locationRef.nullable(),
    location_dest: locationRef.nullable(),
    carrier_tracking_ref: text,
    /** The carrier (stock_delivery's shipping method, else what a labeller or carrier platform reported) and tracking number; null when neither is known. Optional: addons before 1.3.0 do not send it. */
    carrier: z.looseObject({ name: text, code: text, tracking_number: text }).nullable().optional(),
    /** `stock.picking.ready` of an outbound picking: the chute / lane of the admin's sort rule that matched (null: none). */
    sort_destination: z.looseObject({ chute: z.string(), lane: text, rule: id }).nullable().optional(),
  }),
  lines: z.array(lineSchema),
});

/**
 * `stock.picking.withdrawn`: the released work of a picking is void (`reason`); `voids` are the uuids of
 * its `stock.picking.ready` events whose work this withdraws (each at most once, ever). Same aggregate as
 * the ready events, so it is published after them.
 */
export const WITHDRAW_REASONS = ['cancelled', 'done', 'draft', 'unreserved'] as const;
export const withdrawnPayload = z.looseObject({
  shipment: z.looseObject({
    id,
    name: z.string(),
    direction: z.enum(['inbound', 'outbound', 'internal']),
    warehouse: z.string().nullable(),
  }),
  reason: z.enum(WITHDRAW_REASONS),
  voids: z.array(z.string().min(1)),
});

export const inventoryPayload = z.looseObject({
  inventory: z.looseObject({
    product: productRef,
    location: locationRef.nullable(),
    lot: text,
    counted_quantity: quantity,
    difference: quantity,
    uom,
    date: text,
  }),
});

export const productPayload = z.looseObject({
  product: productRef.extend({
    uom,
    active: z.boolean(),
    storable: z.boolean(),
    tracking: z.string(),
    weight_kg: quantity.nullable(),
    volume_m3: quantity.nullable(),
  }),
});

export const EVENT_TYPES = [
  'sale.order.confirmed',
  'sale.order.cancelled',
  'purchase.order.confirmed',
  'stock.picking.ready',
  'stock.picking.done',
  'stock.picking.cancelled',
  'stock.picking.withdrawn',
  'stock.return.created',
  'stock.inventory.adjusted',
  'product.changed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const V1: Record<EventType, z.ZodType> = {
  'sale.order.confirmed': orderPayload,
  'sale.order.cancelled': orderPayload,
  'purchase.order.confirmed': orderPayload,
  'stock.picking.ready': shipmentPayload,
  'stock.picking.done': shipmentPayload,
  'stock.picking.cancelled': shipmentPayload,
  'stock.picking.withdrawn': withdrawnPayload,
  'stock.return.created': shipmentPayload,
  'stock.inventory.adjusted': inventoryPayload,
  'product.changed': productPayload,
};

/** Schemas by schema_version, then event type. A new version is added next to the old one. */
export const PAYLOAD_SCHEMAS: Readonly<Record<number, Readonly<Record<string, z.ZodType>>>> = { 1: V1 };

export type PayloadCheck = { ok: true } | { ok: false; error: string };

/** PAYLOAD_SCHEMAS compiled once into plain checks (fastcheck.ts), keyed `<version> <event type>`. */
const FAST_CHECKS = new Map<string, FastCheck>();
for (const [version, byType] of Object.entries(PAYLOAD_SCHEMAS))
  for (const [type, schema] of Object.entries(byType)) {
    const check = compileCheck(schema);
    if (check) FAST_CHECKS.set(`${version} ${type}`, check);
  }
const VALID: PayloadCheck = { ok: true };

/** Checks one event's payload string against the schema of its type and version. */
export function checkPayload(eventType: string, schemaVersion: number, payload: string): PayloadCheck {
  const schema = PAYLOAD_SCHEMAS[schemaVersion]?.[eventType];
  if (!schema) return { ok: false, error: `no schema for event type "${eventType}" version ${schemaVersion} (sidecar too old?)` };
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch (err) {
    return { ok: false, error: `payload is not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  // zod only for what the compiled check does not accept: it is the contract and names the field.
  if (FAST_CHECKS.get(`${schemaVersion} ${eventType}`)?.(value)) return VALID;
  const parsed = schema.safeParse(value);
  if (parsed.success) return VALID;
  const issues = parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  return { ok: false, error: `payload fails the ${eventType} v${schemaVersion} schema: ${issues.join('; ')}` };
}

/** JSON Schema (draft 2020-12) of every event type's payload, keyed `<event_type>` for version 1. */
export function eventJsonSchemas(version = 1): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [type, schema] of Object.entries(PAYLOAD_SCHEMAS[version] ?? {})) {
    out[type] = { $id: `urn:logistics-bridge:event:${type}:v${version}`, title: `${type} v${version}`, ...z.toJSONSchema(schema, { unrepresentable: 'any' }) };
  }
  return out;
}
