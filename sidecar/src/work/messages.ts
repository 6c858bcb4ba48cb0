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
  }));
  const operation = s.direction === 'inbound' ? 'OPERATION_RECEIVE' : 'OPERATION_PICK';
  const barcode = { expected_scans: { header: namedHeader, operation, lines } };
  if (s.direction !== 'outbound') return { barcode, sorter: undefined, robot_fleet: undefined };
  const sorter = { sort_plan: { header: namedHeader, entries: [{ sscc: '', chute: '', lane: '', carrier: '', route: '' }] } };
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
              ...(l.product.barcode ? { product_barcode: l.product.barcode } : { product_id: String(l.product.id) }),
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
