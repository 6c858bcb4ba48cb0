import { z } from 'zod';
import { ContractViolation } from './errors';
import type { Family } from './families';
import type { ParsedEnvelope, TelemetryMsg } from './telemetry';
import { finite, ID_TEXT, KEY_TEXT, MAX_TIME_MS, positive, sscc } from './update-schema';
import type { ErpPayloads, ErpUpdate, ErpUpdateType, LocationRef, PickingRef, ProductRef } from './updates';

/**
 * Validation of every adapter message, as decoded by proto-loader (keepCase, longs and enums as
 * String, defaults, oneofs). Schemas take `unknown` and turn the wire shape into the shapes the gateway
 * works with: ERP updates become exactly the body Odoo's `apply_batch` takes. A failure becomes one
 * ContractViolation naming the first bad field as a dotted path with [index], prefixed by the oneof
 * case ("update.pick_confirmed.lines[0].quantity").
 */

/** The proto's Family enum names, to the contract's family names. */
export const FAMILY_ENUM: Record<string, Family> = { FAMILY_BARCODE: 'barcode', FAMILY_SORTER: 'sorter', FAMILY_ROBOT_FLEET: 'robot_fleet' };


const idText = z.string().regex(ID_TEXT, 'required: 1..200 characters of [A-Za-z0-9._:/@#-]');
const optText = (max: number) => z.string().max(max);
/** uint64/int64 arrive as decimal strings; the gateway works with safe integers (2^53 is plenty). */
const u64 = z
  .union([z.string().regex(/^\d{1,16}$/, 'expected an unsigned integer'), z.number().int().nonnegative()])
  .transform(Number)
  .refine((n) => Number.isSafeInteger(n), 'above 2^53');
const requiredMs = u64.refine((n) => n > 0 && n <= MAX_TIME_MS, 'required: Unix epoch milliseconds (1..year 9999)');
const optSscc = z.union([z.literal(''), sscc]);

// ---- envelope -------------------------------------------------------------------------------------

const envelopeShape = {
  adapter_id: idText,
  device_id: idText,
  sequence: u64.refine((n) => n >= 1, 'required: >= 1'),
  correlation_id: optText(200),
  event_time_ms: requiredMs,
  /** VDA 5050 headerId of the message the adapter translated, if any; carried, not used. */
  header_id: u64,
};
const toEnvelope = (e: { adapter_id: string; device_id: string; sequence: number; idempotency_key: string; correlation_id: string; event_time_ms: number }): ParsedEnvelope => ({
  adapterId: e.adapter_id,
  deviceId: e.device_id,
  sequence: e.sequence,
  idempotencyKey: e.idempotency_key,
  correlationId: e.correlation_id || null,
  eventTimeMs: e.event_time_ms,
});
const updateEnvelope = z.object({ ...envelopeShape, idempotency_key: z.string().regex(KEY_TEXT, 'required: 1..200 characters of [A-Za-z0-9._:/-]') }).transform(toEnvelope);
const telemetryEnvelope = z.object({ ...envelopeShape, idempotency_key: z.union([z.literal(''), z.string().regex(KEY_TEXT, '1..200 characters of [A-Za-z0-9._:/-]')]) }).transform(toEnvelope);

// ---- references -----------------------------------------------------------------------------------
const odooId = z.number().int().positive();
const refText = z.string().min(1, 'must not be empty').max(200);
const pickingRef = z
  .object({ ref: z.enum(['id', 'name'], 'set one of id, name'), id: z.number().optional(), name: z.string().optional() })
  .transform((r, ctx): PickingRef => {
    const v = (r.ref === 'id' ? odooId : refText).safeParse(r[r.ref]);
    if (!v.success) ctx.addIssue({ code: 'custom', path: [r.ref], message: v.error.issues[0]?.message ?? 'invalid' });
    return r.ref === 'id' ? { id: r.id as number } : { name: r.name as string };
  });
const productRef = z
  .object({ ref: z.enum(['id', 'barcode', 'default_code'], 'set one of id, barcode, default_code'), id: z.number().optional(), barcode: z.string().optional(), default_code: z.string().optional() })
  .transform((r, ctx): ProductRef => {
    const v = (r.ref === 'id' ? odooId : refText).safeParse(r[r.ref]);
    if (!v.success) ctx.addIssue({ code: 'custom', path: [r.ref], message: v.error.issues[0]?.message ?? 'invalid' });
    return r.ref === 'id' ? { id: r.id as number } : r.ref === 'barcode' ? { barcode: r.barcode as string } : { default_code: r.default_code as string };
  });
const locationRef = z
  .object({ ref: z.enum(['id', 'barcode', 'name'], 'set one of id, barcode, name'), id: z.number().optional(), barcode: z.string().optional(), name: z.string().optional() })
  .transform((r, ctx): LocationRef => {
    const v = (r.ref === 'id' ? odooId : refText).safeParse(r[r.ref]);
    if (!v.success) ctx.addIssue({ code: 'custom', path: [r.ref], message: v.error.issues[0]?.message ?? 'invalid' });
    return r.ref === 'id' ? { id: r.id as number } : r.ref === 'barcode' ? { barcode: r.barcode as string } : { name: r.name as string };
  });

const lot = optText(100);
const pickLine = z
  .object({ product: productRef, quantity: positive, lot, location: locationRef.nullish() })
  .transform((l) => ({ product: l.product, quantity: l.quantity, ...(l.lot ? { lot: l.lot } : {}), ...(l.location ? { location: l.location } : {}) }));
/** Line.location is "only used by PickConfirmed": anywhere else it is refused rather than dropped. */
const noLocation = z.null('only pick_confirmed lines take a location').optional();
const productLine = z
  .object({ product: productRef, quantity: positive, lot, location: noLocation })
  .transform((l) => ({ product: l.product, quantity: l.quantity, ...(l.lot ? { lot: l.lot } : {}) }));
/** pack.completed lines carry no lot in the update contract: one sent is refused rather than dropped. */
const plainLine = z.object({ product: productRef, quantity: positive, lot: z.literal('', 'pack_completed lines take no lot'), location: noLocation }).transform((l) => ({ product: l.product, quantity: l.quantity }));

// ---- ERP update payloads (proto oneof case -> update type and body payload) -------------------------
const STATUS: Record<string, 'online' | 'offline' | 'error'> = { STATUS_ONLINE: 'online', STATUS_OFFLINE: 'offline', STATUS_ERROR: 'error' };
const BACKORDER: Record<string, 'create' | 'cancel' | undefined> = { BACKORDER_CREATE: 'create', BACKORDER_CANCEL: 'cancel', BACKORDER_UNSPECIFIED: undefined };

const payloads = {
  device_status: z
    .object({
      status: z.enum(['STATUS_ONLINE', 'STATUS_OFFLINE', 'STATUS_ERROR'], 'required: STATUS_ONLINE, STATUS_OFFLINE or STATUS_ERROR'),
      family: z.enum(['FAMILY_UNSPECIFIED', 'FAMILY_BARCODE', 'FAMILY_SORTER', 'FAMILY_ROBOT_FLEET']),
      warehouse: optText(50),
      error: optText(1000),
    })
    .transform((p): ErpPayloads['device.status'] => ({
      status: STATUS[p.status] as 'online',
      ...(FAMILY_ENUM[p.family] ? { family: FAMILY_ENUM[p.family] } : {}),
      ...(p.warehouse ? { warehouse: p.warehouse } : {}),
      ...(p.error ? { error: p.error } : {}),
    })),
  pick_confirmed: z.object({ picking: pickingRef, lines: z.array(pickLine).min(1, 'required: at least one line').max(1000) }),
  pack_completed: z
    .object({ picking: pickingRef, sscc, weight_kg: positive.optional(), lines: z.array(plainLine).max(1000) })
    .transform((p): ErpPayloads['pack.completed'] => ({
      picking: p.picking,
      sscc: p.sscc,
      ...(p.weight_kg !== undefined ? { weight_kg: p.weight_kg } : {}),
      ...(p.lines.length ? { lines: p.lines } : {}),
    })),
  shipment_labelled: z
    .object({ picking: pickingRef, carrier: refText, tracking_number: refText, sscc: optSscc })
    .transform((p): ErpPayloads['shipment.labelled'] => ({ picking: p.picking, carrier: p.carrier, tracking_number: p.tracking_number, ...(p.sscc ? { sscc: p.sscc } : {}) })),
  parcel_sorted: z
    .object({ sscc, picking: pickingRef.nullish(), chute: refText, lane: optText(100) })
    .transform((p): ErpPayloads['parcel.sorted'] => ({ sscc: p.sscc, ...(p.picking ? { picking: p.picking } : {}), chute: p.chute, ...(p.lane ? { lane: p.lane } : {}) })),
  shipment_dispatched: z
    .object({ picking: pickingRef, backorder: z.enum(['BACKORDER_UNSPECIFIED', 'BACKORDER_CREATE', 'BACKORDER_CANCEL']), lines: z.array(productLine).max(1000) })
    .transform((p): ErpPayloads['shipment.dispatched'] => {
      const backorder = BACKORDER[p.backorder];
      return { picking: p.picking, ...(backorder ? { backorder } : {}), ...(p.lines.length ? { lines: p.lines } : {}) };
    }),
  receipt_counted: z.object({ picking: pickingRef, lines: z.array(productLine).min(1, 'required: at least one line').max(1000) }),
  task_failed: z
    .object({ picking: pickingRef.nullish(), reason: z.string().min(1, 'required').max(1000), code: optText(100) })
    .transform((p): ErpPayloads['task.failed'] => ({ ...(p.picking ? { picking: p.picking } : {}), reason: p.reason, ...(p.code ? { code: p.code } : {}) })),
  inventory_counted: z
    .object({ product: productRef, location: locationRef, quantity: finite.refine((n) => n >= 0, 'must be >= 0'), lot })
    .transform((p): ErpPayloads['inventory.counted'] => ({ product: p.product, location: p.location, quantity: p.quantity, ...(p.lot ? { lot: p.lot } : {}) })),
} as const;

type PayloadCase = keyof typeof payloads;
const UPDATE_TYPE: Record<PayloadCase, ErpUpdateType> = {
  device_status: 'device.status',
  pick_confirmed: 'pick.confirmed',
  pack_completed: 'pack.completed',
  shipment_labelled: 'shipment.labelled',
  parcel_sorted: 'parcel.sorted',
  shipment_dispatched: 'shipment.dispatched',
  receipt_counted: 'receipt.counted',
  task_failed: 'task.failed',
  inventory_counted: 'inventory.counted',
};
const PAYLOAD_CASES = Object.keys(payloads) as PayloadCase[];

// ---- telemetry per family -------------------------------------------------------------------------
const optDevice = z.union([z.literal(''), idText]);
/** 0: not given (the envelope's event time). */
const optionalMs = u64.refine((n) => n <= MAX_TIME_MS, 'Unix epoch milliseconds (0 or up to year 9999)');
const heartbeat = z.object({ device_id: optDevice, time_ms: optionalMs, error: z.boolean(), error_text: optText(1000), warehouse: optText(50) });
const scan = z.object({
  time_ms: requiredMs,
  data: z.string().min(1, 'required').max(4096),
  symbology: optText(50),
  mode: z.enum(['SCAN_MODE_UNSPECIFIED', 'SCAN_MODE_PICK', 'SCAN_MODE_PACK', 'SCAN_MODE_RECEIVE', 'SCAN_MODE_COUNT', 'SCAN_MODE_SHIP']),
  picking_name: optText(200),
  location_barcode: optText(200),
  quantity: finite.refine((n) => n >= 0, 'must be >= 0'),
  operator_id: optText(100),
  task_id: optText(200),
  device_id: optDevice,
  confirmed: z.boolean(),
});
const sorterEvent = z.object({
  time_ms: requiredMs,
  kind: z.enum(['KIND_INDUCTED', 'KIND_SCANNED', 'KIND_NO_READ', 'KIND_DIVERTED', 'KIND_RECIRCULATED', 'KIND_REJECTED'], 'required: a KIND_* value'),
  parcel_id: optText(100),
  barcode: optText(4096),
  sscc: z.union([z.literal(''), z.string().regex(/^\d{18}$/, 'SSCC must be 18 digits')]),
  chute: optText(100),
  lane: optText(100),
  induction: optText(100),
  weight_kg: finite.refine((n) => n >= 0, 'must be >= 0'),
  reason: optText(1000),
  picking_name: optText(200),
  device_id: optDevice,
});
const actionStatus = z.enum(['ACTION_STATUS_UNSPECIFIED', 'ACTION_STATUS_WAITING', 'ACTION_STATUS_INITIALIZING', 'ACTION_STATUS_RUNNING', 'ACTION_STATUS_PAUSED', 'ACTION_STATUS_FINISHED', 'ACTION_STATUS_FAILED']);
const robotState = z.object({
  time_ms: requiredMs,
  robot_id: idText,
  order_id: optText(200),
  order_update_id: z.number().int().nonnegative(),
  last_node_id: optText(200),
  driving: z.boolean(),
  operating_mode: optText(50),
  battery_charge: finite.refine((n) => n >= 0 && n <= 100, 'must be 0..100'),
  agv_position: z.object({ x: finite, y: finite, theta: finite, map_id: optText(100), position_initialized: z.boolean() }).nullish(),
  velocity: finite,
  action_states: z.array(z.object({ action_id: optText(200), action_type: optText(100), action_status: actionStatus, result_description: optText(1000) })).max(100),
  errors: z.array(z.object({ error_type: optText(100), error_level: z.enum(['LEVEL_UNSPECIFIED', 'LEVEL_WARNING', 'LEVEL_FATAL']), error_description: optText(1000) })).max(100),
  load_id: optText(200),
  picking_name: optText(200),
  task_id: optText(200),
});

const readingOf = <S extends z.ZodType, K extends string>(kind: K, schema: S) =>
  z.discriminatedUnion('reading', [
    z.object({ reading: z.literal(kind), [kind]: schema } as { reading: z.ZodLiteral<K> } & Record<K, S>),
    z.object({ reading: z.literal('heartbeat'), heartbeat }),
  ], 'set one of ' + kind + ', heartbeat');

/**
 * "readings must be in time order" (the protos): each reading's time (a heartbeat without one has the
 * envelope's) is at or after the one before it. Returns the index of the first that is not, or -1.
 */
export function outOfOrderReading(eventTimeMs: number, readings: ReadonlyArray<Record<string, unknown>>): number {
  let last = 0;
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i] as Record<string, unknown>;
    const body = r[r.reading as string] as { time_ms?: unknown } | null | undefined;
    const t = Number(body?.time_ms ?? 0) || eventTimeMs;
    if (t < last) return i;
    last = t;
  }
  return -1;
}

const telemetryOf = <R extends z.ZodType>(reading: R) =>
  z.object({ envelope: telemetryEnvelope, readings: z.array(reading).min(1, 'required: at least one reading').max(1000) }).superRefine((t, ctx) => {
    const readings = t.readings as ReadonlyArray<Record<string, unknown>>;
    const i = outOfOrderReading(t.envelope.eventTimeMs, readings);
    if (i >= 0) ctx.addIssue({ code: 'custom', path: ['readings', i, String(readings[i]?.reading), 'time_ms'], message: 'readings must be in time order' });
  });

const telemetrySchemas = {
  barcode: telemetryOf(readingOf('scan', scan)),
  sorter: telemetryOf(readingOf('event', sorterEvent)),
  robot_fleet: telemetryOf(readingOf('state', robotState)),
};

// ---- hello ----------------------------------------------------------------------------------------
export interface ParsedHello {
  adapterId: string;
  family: Family;
  streamId: string;
  lastAckedSequence: number;
  capabilities: string[];
  vendor: string;
  model: string;
  softwareVersion: string;
  warehouse: string;
}
const hello = z
  .object({
    adapter_id: idText,
    family: z.enum(['FAMILY_BARCODE', 'FAMILY_SORTER', 'FAMILY_ROBOT_FLEET'], 'required: FAMILY_BARCODE, FAMILY_SORTER or FAMILY_ROBOT_FLEET'),
    stream_id: optDevice,
    last_acked_sequence: u64,
    capabilities: z.array(z.string().max(100)).max(100),
    vendor: optText(100),
    model: optText(100),
    software_version: optText(100),
    warehouse: optText(50),
  })
  .transform(
    (h): ParsedHello => ({
      adapterId: h.adapter_id,
      family: FAMILY_ENUM[h.family] as Family,
      streamId: h.stream_id || h.adapter_id,
      lastAckedSequence: h.last_acked_sequence,
      capabilities: h.capabilities,
      vendor: h.vendor,
      model: h.model,
      softwareVersion: h.software_version,
      warehouse: h.warehouse,
    }),
  );

// ---- work ack (Flow 3) ----------------------------------------------------------------------------
export interface ParsedWorkAck {
  workId: string;
  outcome: 'accepted' | 'refused';
  reason: string;
}
const workAck = z
  .object({
    work_id: idText,
    outcome: z.enum(['OUTCOME_ACCEPTED', 'OUTCOME_REFUSED'], 'required: OUTCOME_ACCEPTED or OUTCOME_REFUSED'),
    reason: optText(1000),
  })
  .transform((a): ParsedWorkAck => ({ workId: a.work_id, outcome: a.outcome === 'OUTCOME_ACCEPTED' ? 'accepted' : 'refused', reason: a.reason }));

// ---- the adapter message ----------------------------------------------------------------------------
export type ParsedMessage =
  | { kind: 'hello'; hello: ParsedHello }
  | { kind: 'work_ack'; workAck: ParsedWorkAck }
  | { kind: 'telemetry'; envelope: ParsedEnvelope; telemetry: TelemetryMsg }
  | { kind: 'update'; envelope: ParsedEnvelope; update: ErpUpdate };

/** "a.b[0].c" from a zod issue path, under `prefix`. */
export function fieldPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

function fail(prefix: string, error: z.ZodError): never {
  const issue = error.issues[0];
  const path = fieldPath(prefix, issue?.path ?? []);
  throw new ContractViolation(path, issue?.message ?? 'invalid');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/**
 * The sequence of a message, read without validating the rest, so a Reject can name it. 0 when there
 * is none that can be read.
 */
export function peekSequence(raw: unknown): number {
  if (!isRecord(raw)) return 0;
  const body = raw[typeof raw.kind === 'string' ? raw.kind : ''];
  const env = isRecord(body) ? body.envelope : undefined;
  const seq = isRecord(env) ? env.sequence : undefined;
  const n = typeof seq === 'string' || typeof seq === 'number' ? Number(seq) : 0;
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** Validates one adapter message of `family`; throws ContractViolation naming the bad field. */
export function parseAdapterMessage(family: Family, raw: unknown): ParsedMessage {
  if (!isRecord(raw)) throw new ContractViolation('', 'expected a message');
  switch (raw.kind) {
    case 'hello': {
      const r = hello.safeParse(raw.hello);
      if (!r.success) fail('hello', r.error);
      return { kind: 'hello', hello: r.data };
    }
    case 'telemetry': {
      const schema = telemetrySchemas[family];
      const r = schema.safeParse(raw.telemetry);
      if (!r.success) fail('telemetry', r.error);
      const telemetry: TelemetryMsg = r.data;
      return { kind: 'telemetry', envelope: r.data.envelope, telemetry };
    }
    case 'update':
      return parseUpdate(raw.update);
    case 'work_ack': {
      const r = workAck.safeParse(raw.work_ack);
      if (!r.success) fail('work_ack', r.error);
      return { kind: 'work_ack', workAck: r.data };
    }
    default:
      throw new ContractViolation('kind', 'set one of hello, telemetry, update, work_ack');
  }
}

function parseUpdate(raw: unknown): ParsedMessage {
  if (!isRecord(raw)) throw new ContractViolation('update', 'expected a message');
  const env = updateEnvelope.safeParse(raw.envelope);
  if (!env.success) fail('update.envelope', env.error);
  const which = raw.payload;
  if (typeof which !== 'string' || !(PAYLOAD_CASES as string[]).includes(which)) {
    throw new ContractViolation('update.payload', `set one of ${PAYLOAD_CASES.join(', ')}`);
  }
  const c = which as PayloadCase;
  const p = payloads[c].safeParse(raw[c]);
  if (!p.success) fail(`update.${c}`, p.error);
  const e = env.data;
  const update = {
    idempotency_key: e.idempotencyKey,
    type: UPDATE_TYPE[c],
    adapter_id: e.adapterId,
    device_id: e.deviceId,
    correlation_id: e.correlationId,
    event_time: new Date(e.eventTimeMs).toISOString(),
    payload: p.data,
  } as ErpUpdate;
  return { kind: 'update', envelope: e, update };
}

/**
 * The schemas by the proto messages they validate, for test/unit/contract/proto-drift.unit.spec.ts,
 * which walks them next to the protos so that neither side can gain a field or enum value alone.
 */
export const SCHEMA_ROOTS = { hello, workAck, telemetry: telemetrySchemas, updateEnvelope, payloads, payloadCases: PAYLOAD_CASES } as const;
