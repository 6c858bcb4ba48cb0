import { z } from 'zod';
import type { Family } from '@logistics-bridge/contract';

/* Flow 3, pure: a released picking (`stock.picking.ready`) becomes the work messages of each family. */

/** Capabilities an adapter announces in its Hello to receive each kind of work. */
export const WORK_CAPABILITY: Record<Family, string> = {
  barcode: 'work.expected_scans',
  sorter: 'work.sort_plan',
  robot_fleet: 'work.robot_order',
};

const ref = z.looseObject({ id: z.number().int(), name: z.string().nullish(), barcode: z.string().nullish(), default_code: z.string().nullish() });
/** The part of the canonical `stock.picking.ready` payload (docs/relay.md) that work needs. */
const pickingReady = z.looseObject({
  shipment: z.looseObject({
    id: z.number().int(),
    name: z.string(),
    direction: z.enum(['inbound', 'outbound', 'internal']),
    warehouse: z.unknown(),
    carrier_tracking_ref: z.string().nullish(),
    sort_destination: z.looseObject({ chute: z.string(), lane: z.string().nullish(), rule: z.union([z.string(), z.number()]).nullish() }).nullish(),
  }),
  lines: z.array(z.looseObject({ product: ref, quantity: z.number(), lot: z.string().nullish(), location: ref.nullish() })),
});
export type PickingReady = z.infer<typeof pickingReady>;

export function parsePickingReady(body: unknown): PickingReady | undefined {
  const r = pickingReady.safeParse(body);
  return r.success ? r.data : undefined;
}

export function warehouseCode(w: unknown): string {
  if (typeof w === 'string') return w;
  if (w && typeof w === 'object' && typeof (w as { code?: unknown }).code === 'string') return (w as { code: string }).code;
  return '';
}

/**
 * The work messages (wire shape of the family's `work` oneof) for one released picking. Pure; the
 * work id is the event id, so a redelivered event is the same work for the adapter.
 */
export function buildWork(event: PickingReady, workId: string, correlationId: string, nowMs: number): Record<Family, Record<string, unknown> | undefined> {
  const s = event.shipment;
  const header = { work_id: workId, correlation_id: correlationId, picking: { id: s.id }, issued_ms: String(nowMs), warehouse: warehouseCode(s.warehouse) };
  const namedHeader = { ...header, picking: { name: s.name } };
  const lines = event.lines.map((l) => ({
    product_barcode: l.product.barcode ?? '',
    default_code: l.product.default_code ?? '',
    product_name: l.product.name ?? '',
    quantity: l.quantity,
    location_barcode: l.location?.barcode ?? '',
    lot: l.lot ?? '',
    product_id: l.product.id,
  }));
  const operation = s.direction === 'inbound' ? 'OPERATION_RECEIVE' : 'OPERATION_PICK';
  const barcode = { expected_scans: { header: namedHeader, operation, lines } };
  if (s.direction !== 'outbound') return { barcode, sorter: undefined, robot_fleet: undefined };
  const dest = s.sort_destination;
  const sorter = { sort_plan: { header: namedHeader, entries: [{ sscc: '', chute: dest?.chute ?? '', lane: dest?.lane ?? '', carrier: '', route: dest?.rule == null ? '' : String(dest.rule) }] } };
  const robot = {
    order: {
      header: namedHeader,
      order_id: workId,
      order_update_id: 0,
      nodes: event.lines.map((l, i) => ({
        node_id: `${workId}-n${i + 1}`,
        sequence_id: i * 2,
        location_barcode: l.location?.barcode ?? '',
        actions: [
          {
            action_id: `${workId}-pick-${i + 1}`,
            action_type: 'pick',
            parameters: {
              product_id: String(l.product.id),
              ...(l.product.barcode ? { product_barcode: l.product.barcode } : {}),
              quantity: String(l.quantity),
              ...(l.lot ? { lot: l.lot } : {}),
              ...(l.location?.barcode ? { location_barcode: l.location.barcode } : {}),
            },
          },
        ],
      })),
    },
  };
  return { barcode, sorter, robot_fleet: robot };
}

/** Families that get work for a picking of `direction` (internal and inbound pickings: scanners only). */
export function familiesFor(direction: PickingReady['shipment']['direction']): readonly Family[] {
  return direction === 'outbound' ? ['barcode', 'sorter', 'robot_fleet'] : ['barcode'];
}

const withdrawn = z.looseObject({
  shipment: z.looseObject({ id: z.number().int(), name: z.string(), direction: z.enum(['inbound', 'outbound', 'internal']), warehouse: z.unknown() }),
  reason: z.enum(['cancelled', 'done', 'draft', 'unreserved']),
  voids: z.array(z.string().min(1).max(200)),
});
/** `stock.picking.withdrawn` (schema_version 1): the work of the `voids` ready events is void. */
export type PickingWithdrawn = z.infer<typeof withdrawn>;

/** A parsed withdrawn event, or the first bad field's path and message. */
export function parsePickingWithdrawn(body: unknown): { ok: true; event: PickingWithdrawn } | { ok: false; error: string } {
  const r = withdrawn.safeParse(body);
  if (r.success) return { ok: true, event: r.data };
  const issue = r.error.issues[0];
  return { ok: false, error: `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}` };
}

const pickingEvent = z.looseObject({ shipment: z.looseObject({ id: z.number().int() }) });
/** The picking id of a `stock.picking.done` / `stock.picking.cancelled` event, if it has one. */
export function pickingIdOf(body: unknown): number | undefined {
  const r = pickingEvent.safeParse(body);
  return r.success ? r.data.shipment.id : undefined;
}

/**
 * The withdrawal of one work item as the family's `work` oneof: robots `InstantAction cancelOrder`
 * (order_id = work id), scanners `ExpectedScansRemoved`, sorters `SortPlanRemoved`. Pure.
 */
export function buildWithdrawal(family: Family, event: PickingWithdrawn, workId: string, correlationId: string, nowMs: number): Record<string, unknown> {
  const s = event.shipment;
  const header = { work_id: workId, correlation_id: correlationId, picking: { name: s.name }, issued_ms: String(nowMs), warehouse: warehouseCode(s.warehouse) };
  if (family === 'barcode') return { expected_scans_removed: { header, reason: event.reason } };
  if (family === 'sorter') return { sort_plan_removed: { header, reason: event.reason } };
  return { instant_action: { header, action_type: 'cancelOrder', robot_id: '', parameters: { order_id: workId, reason: event.reason } } };
}

/**
 * What a pool queue carries (JSON): work, or the withdrawal of work. `picking_id` (with `database`, the
 * Odoo database of the event: ids repeat across databases and a recreated one) lets a sidecar drop
 * work of a picking it knows is done or cancelled.
 */
const poolMessage = z.object({
  kind: z.enum(['work', 'withdrawal']),
  work_id: z.string().min(1),
  picking_id: z.number().int(),
  database: z.string().default(''),
  work: z.record(z.string(), z.unknown()),
});
export type PoolMessage = z.infer<typeof poolMessage>;

export function parsePoolMessage(body: unknown): PoolMessage | undefined {
  const r = poolMessage.safeParse(body);
  return r.success ? r.data : undefined;
}

/** The Odoo database an event came from (the relay's `x-odoo-database` header; '' without one). */
export function eventDatabase(headers: Record<string, unknown> | undefined): string {
  const db = headers?.['x-odoo-database'];
  return typeof db === 'string' ? db : '';
}
