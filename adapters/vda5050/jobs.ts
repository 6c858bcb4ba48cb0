/**
 * Work from the bridge (the robot-fleet `work` oneof, as the gateway sends it: snake_case, int64 as
 * strings) parsed into what the fleet core plans with: a job (a RobotOrder) or a withdrawal (the
 * `cancelOrder` InstantAction). Pure.
 */
import { z } from 'zod';
import type { PickingRef, PickLine } from '@logistics-bridge/contract';
import type { JobStop } from './layout';

const pickingRef = z.looseObject({ ref: z.string().optional(), id: z.union([z.number(), z.string()]).nullish(), name: z.string().nullish() });
const workHeader = z.looseObject({
  work_id: z.string().min(1),
  correlation_id: z.string().nullish(),
  picking: pickingRef.nullish(),
  warehouse: z.string().nullish(),
});
const robotOrder = z.looseObject({
  header: workHeader,
  order_id: z.string().nullish(),
  nodes: z.array(
    z.looseObject({
      location_barcode: z.string().nullish(),
      actions: z.array(z.looseObject({ action_id: z.string().nullish(), action_type: z.string(), parameters: z.record(z.string(), z.string()).nullish() })).nullish(),
    }),
  ),
});
const instantAction = z.looseObject({ header: workHeader.nullish(), action_type: z.string(), robot_id: z.string().nullish(), parameters: z.record(z.string(), z.string()).nullish() });
const work = z.looseObject({ work: z.string().optional(), order: robotOrder.nullish(), instant_action: instantAction.nullish() });

export interface Job {
  /** The VDA 5050 orderId: the bridge's order id (its work id), stable across redeliveries. */
  orderId: string;
  workId: string;
  correlationId: string;
  picking: PickingRef | undefined;
  warehouse: string;
  stops: JobStop[];
  /** What the finished order confirms to Odoo (`pick.confirmed` lines). */
  lines: PickLine[];
}

/** Withdrawn work: which order to cancel (by order id, work id or picking). */
export interface Withdrawal {
  orderId?: string;
  picking?: PickingRef;
  robotId?: string;
}

export type ParsedWork = { kind: 'job'; job: Job } | { kind: 'withdrawal'; withdrawal: Withdrawal } | { kind: 'ignored'; reason: string };

function picking(ref: z.infer<typeof pickingRef> | null | undefined): PickingRef | undefined {
  if (!ref) return undefined;
  if (ref.name && ref.ref !== 'id') return { name: ref.name };
  const id = Number(ref.id);
  return Number.isInteger(id) && id > 0 ? { id } : undefined;
}

function line(p: Record<string, string>, fallbackLocation: string): PickLine | undefined {
  const quantity = Number(p.quantity);
  if (!(quantity > 0)) return undefined;
  const product = p.product_barcode ? { barcode: p.product_barcode } : p.product_id ? { id: Number(p.product_id) } : undefined;
  if (!product) return undefined;
  const location = p.location_barcode || fallbackLocation;
  return { product, quantity, ...(p.lot ? { lot: p.lot } : {}), ...(location ? { location: { barcode: location } } : {}) };
}

export function parseWork(raw: unknown): ParsedWork {
  const parsed = work.safeParse(raw);
  if (!parsed.success) return { kind: 'ignored', reason: `not robot-fleet work: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  const w = parsed.data;
  if (w.order) {
    const o = w.order;
    const orderId = o.order_id || o.header.work_id;
    const stops: JobStop[] = [];
    const lines: PickLine[] = [];
    for (const n of o.nodes) {
      const barcode = n.location_barcode ?? '';
      for (const a of n.actions ?? []) {
        if (a.action_type !== 'pick') continue;
        const l = line(a.parameters ?? {}, barcode);
        if (l) lines.push(l);
      }
      if (!stops.some((s) => s.locationBarcode === barcode)) {
        const k = stops.length + 1;
        stops.push({ locationBarcode: barcode, pickActionId: `${orderId}:pick:${k}`, dropActionId: `${orderId}:drop:${k}` });
      }
    }
    return {
      kind: 'job',
      job: { orderId, workId: o.header.work_id, correlationId: o.header.correlation_id ?? '', picking: picking(o.header.picking), warehouse: o.header.warehouse ?? '', stops, lines },
    };
  }
  if (w.instant_action) {
    const a = w.instant_action;
    if (a.action_type !== 'cancelOrder') return { kind: 'ignored', reason: `instant action ${a.action_type} is not forwarded` };
    const p = a.parameters ?? {};
    const orderId = p.order_id || p.work_id || undefined;
    const ref = picking(a.header?.picking);
    return { kind: 'withdrawal', withdrawal: { ...(orderId ? { orderId } : {}), ...(ref ? { picking: ref } : {}), ...(a.robot_id ? { robotId: a.robot_id } : {}) } };
  }
  return { kind: 'ignored', reason: 'work with neither order nor instant_action' };
}
