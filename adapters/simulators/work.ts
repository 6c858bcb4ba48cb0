/**
 * Work-following simulation, pure: the work a simulator received (Flow 3, as the SDK hands it over) in,
 * the ERP updates its devices send about that work out. Nothing here invents a picking, a product or a
 * quantity: every update names the work's picking and carries the work's lines. What a device does not
 * get from the work (an SSCC for the parcel, a tracking number, the weight) it makes from the seeded
 * random source or from the picking, so a seed gives the same updates and a redelivered work item the
 * same idempotency keys (they derive from the work id).
 */
import { z } from 'zod';
import type { DeviceErpPayloads, DeviceUpdateType, Family, PickLine, PickingRef, ProductRef } from '@logistics-bridge/contract';
import { sscc, type Random } from './common';

const text = z.string().nullish().transform((s) => s ?? '');
const pickingRef = z
  .looseObject({ id: z.union([z.number(), z.string()]).nullish(), name: z.string().nullish() })
  .nullish()
  .transform((p, ctx): PickingRef => {
    if (p?.name) return { name: p.name };
    const id = Number(p?.id ?? 0);
    if (Number.isSafeInteger(id) && id > 0) return { id };
    ctx.addIssue({ code: 'custom', message: 'the work names no picking (id or name)' });
    return z.NEVER;
  });
const header = z.looseObject({ work_id: z.string().min(1, 'work_id is required'), correlation_id: text, picking: pickingRef, warehouse: text });
export type WorkHeader = z.output<typeof header>;
/** A withdrawal names the work withdrawn; the picking is a courtesy. */
const withdrawalHeader = z.looseObject({
  work_id: z.string().min(1, 'work_id is required'),
  picking: pickingRef.optional().catch(undefined),
});

const expectedScans = z.looseObject({
  header,
  operation: text,
  lines: z
    .array(z.looseObject({ product_id: z.union([z.number(), z.string()]).nullish(), product_barcode: text, default_code: text, product_name: text, quantity: z.number().positive(), location_barcode: text, lot: text }))
    .min(1, 'no lines'),
});
const sortPlan = z.looseObject({
  header,
  entries: z.array(z.looseObject({ sscc: text, chute: text, lane: text, carrier: text, route: text })).min(1, 'no entries'),
});
const robotOrder = z.looseObject({
  header,
  order_id: z.string().min(1),
  nodes: z
    .array(
      z.looseObject({
        node_id: text,
        location_barcode: text,
        actions: z.array(z.looseObject({ action_id: text, action_type: text, parameters: z.record(z.string(), z.string()).nullish() })).nullish(),
      }),
    )
    .min(1, 'no nodes'),
});
const instantAction = z.looseObject({ header: withdrawalHeader, action_type: z.string(), parameters: z.record(z.string(), z.string()).nullish() });
const removed = z.looseObject({ header: withdrawalHeader, reason: text });

/** One received work item, parsed: what the simulator may act on. */
export type Job =
  | { kind: 'expected_scans'; family: 'barcode'; header: WorkHeader; operation: string; lines: z.output<typeof expectedScans>['lines'] }
  | { kind: 'sort_plan'; family: 'sorter'; header: WorkHeader; entries: z.output<typeof sortPlan>['entries'] }
  | { kind: 'order'; family: 'robot_fleet'; header: WorkHeader; orderId: string; nodes: z.output<typeof robotOrder>['nodes'] }
  /** ExpectedScansRemoved, SortPlanRemoved, VDA 5050 cancelOrder: the work `workId` is void. */
  | { kind: 'withdrawal'; family: Family; workId: string; picking?: PickingRef; reason: string }
  /** Work the simulator does not act on (another instant action): acknowledged, nothing else. */
  | { kind: 'ignored'; family: Family; workId: string; reason: string };

/** A job a device acts on (not a withdrawal). */
export type Task = Extract<Job, { header: WorkHeader }>;

export type ParsedWork = { ok: true; job: Job } | { ok: false; path: string; message: string };

function failure(prefix: string, error: z.ZodError): ParsedWork {
  const issue = error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].join('.');
  return { ok: false, path, message: issue?.message ?? 'invalid' };
}

/** Parses a work message as the SDK delivers it (`Work`, snake_case, oneof member named in `work`). */
export function parseWork(raw: unknown): ParsedWork {
  const outer = z.looseObject({ work: z.string() }).safeParse(raw);
  if (!outer.success) return failure('work', outer.error);
  const member = outer.data.work;
  const body = (raw as Record<string, unknown>)[member];
  switch (member) {
    case 'expected_scans': {
      const r = expectedScans.safeParse(body);
      return r.success ? { ok: true, job: { kind: 'expected_scans', family: 'barcode', header: r.data.header, operation: r.data.operation, lines: r.data.lines } } : failure(member, r.error);
    }
    case 'sort_plan': {
      const r = sortPlan.safeParse(body);
      return r.success ? { ok: true, job: { kind: 'sort_plan', family: 'sorter', header: r.data.header, entries: r.data.entries } } : failure(member, r.error);
    }
    case 'order': {
      const r = robotOrder.safeParse(body);
      return r.success ? { ok: true, job: { kind: 'order', family: 'robot_fleet', header: r.data.header, orderId: r.data.order_id, nodes: r.data.nodes } } : failure(member, r.error);
    }
    case 'instant_action': {
      const r = instantAction.safeParse(body);
      if (!r.success) return failure(member, r.error);
      const { header: h, action_type: action, parameters } = r.data;
      if (action !== 'cancelOrder') return { ok: true, job: { kind: 'ignored', family: 'robot_fleet', workId: h.work_id, reason: `instant action ${action}` } };
      return { ok: true, job: { kind: 'withdrawal', family: 'robot_fleet', workId: h.work_id, ...(h.picking ? { picking: h.picking } : {}), reason: parameters?.reason || 'cancelOrder' } };
    }
    case 'expected_scans_removed':
    case 'sort_plan_removed': {
      const r = removed.safeParse(body);
      if (!r.success) return failure(member, r.error);
      const family: Family = member === 'sort_plan_removed' ? 'sorter' : 'barcode';
      return { ok: true, job: { kind: 'withdrawal', family, workId: r.data.header.work_id, ...(r.data.header.picking ? { picking: r.data.header.picking } : {}), reason: r.data.reason || 'removed' } };
    }
    default:
      return { ok: false, path: 'work', message: `unknown work ${JSON.stringify(member)}` };
  }
}

/** The work id of a work message, when it can be read (to answer even work that cannot be parsed). */
export function workIdOf(raw: unknown): string | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const member = (raw as { work?: unknown }).work;
  const body = typeof member === 'string' ? (raw as Record<string, unknown>)[member] : undefined;
  const h = body && typeof body === 'object' ? (body as { header?: unknown }).header : undefined;
  const id = h && typeof h === 'object' ? (h as { work_id?: unknown }).work_id : undefined;
  return typeof id === 'string' && id ? id : undefined;
}

/** The key a picking is known by on the floor (work of one picking for several families meets here). */
export function pickingKey(ref: PickingRef): string {
  return 'name' in ref ? `name:${ref.name}` : `id:${ref.id}`;
}

/** An update a simulated device sends (through `AdapterClient.sendUpdate`). */
export interface SimUpdate<T extends DeviceUpdateType = DeviceUpdateType> {
  deviceId: string;
  type: T;
  payload: DeviceErpPayloads[T];
  idempotencyKey: string;
  correlationId: string;
  eventTimeMs: number;
}

export interface PlanContext {
  /** The device that does the job (a scanner, the sorter, a robot). */
  deviceId: string;
  rnd: Random;
  /** Share of jobs that fail (task.failed: a short pick, a rejected parcel, a gripper fault). */
  failRate: number;
  nowMs: number;
  /** Chute for sort-plan entries that name none (the sorter's manual chute). */
  defaultChute?: string;
  /** Carrier for labels when the plan names none. */
  carrier?: string;
  /** GS1 company prefix of the SSCCs the packing station prints. */
  companyPrefix?: string;
}

/** The result of planning one job: the updates, in the order they must be sent; ok false = the job failed. */
export interface Plan {
  ok: boolean;
  updates: SimUpdate[];
}

const COMPANY_PREFIX = '4012345';

/**
 * The SSCC of the n-th parcel of a picking: the packing station prints it, the sorter reads it, so both
 * simulators arrive at the same number without talking to each other. 32-bit FNV-1a of the picking key.
 */
export function parcelSscc(ref: PickingRef, parcel = 0, companyPrefix = COMPANY_PREFIX): string {
  let h = 0x811c9dc5;
  for (const ch of pickingKey(ref)) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  const serialDigits = 16 - companyPrefix.length;
  const serial = (h % 10 ** (serialDigits - 1)) * 10 + (parcel % 10);
  return sscc(companyPrefix, serial);
}

/** The work's product reference: its Odoo id when the work gives one, else the barcode, else the internal reference. */
export function productRef(line: { product_barcode?: string; default_code?: string; product_id?: string | number | null }): ProductRef | undefined {
  // The id first: it stays valid when the product's barcode changes in Odoo after the release.
  const id = Number(line.product_id ?? '');
  if (Number.isSafeInteger(id) && id > 0) return { id };
  if (line.product_barcode) return { barcode: line.product_barcode };
  if (line.default_code) return { default_code: line.default_code };
  return undefined;
}

function update<T extends DeviceUpdateType>(job: Task, ctx: PlanContext, type: T, payload: DeviceErpPayloads[T], step: string, offsetMs: number): SimUpdate<T> {
  return { deviceId: ctx.deviceId, type, payload, idempotencyKey: `${job.header.work_id}:${step}`, correlationId: job.header.correlation_id, eventTimeMs: ctx.nowMs + offsetMs };
}

function failed(job: Task, ctx: PlanContext, code: string, reason: string): Plan {
  return { ok: false, updates: [update(job, ctx, 'task.failed', { picking: job.header.picking, reason, code }, 'task.failed', 0)] };
}

/** Scanner work: pick (confirm the expected lines, then pack them into one parcel with an SSCC) or receive. */
export function planBarcode(job: Extract<Job, { kind: 'expected_scans' }>, ctx: PlanContext): Plan {
  const lines: PickLine[] = [];
  for (const l of job.lines) {
    const product = productRef(l);
    if (!product) return failed(job, ctx, 'UNKNOWN_PRODUCT', `line ${l.product_name || '?'} has neither barcode nor internal reference`);
    const line: PickLine = { product, quantity: l.quantity };
    if (l.lot) line.lot = l.lot;
    if (l.location_barcode) line.location = { barcode: l.location_barcode };
    lines.push(line);
  }
  const picking = job.header.picking;
  if (ctx.rnd.chance(ctx.failRate)) {
    const l = job.lines[Math.floor(ctx.rnd.next() * job.lines.length)] ?? job.lines[0];
    return failed(job, ctx, 'SHORT_PICK', `short pick: ${l?.product_name || l?.product_barcode || l?.default_code} not found${l?.location_barcode ? ` at ${l.location_barcode}` : ''}`);
  }
  if (job.operation === 'OPERATION_RECEIVE') {
    return { ok: true, updates: [update(job, ctx, 'receipt.counted', { picking, lines: lines.map(({ product, quantity, lot }) => ({ product, quantity, ...(lot ? { lot } : {}) })) }, 'receipt.counted', 0)] };
  }
  const grams = ctx.rnd.int(300, 12_000);
  const packed: DeviceErpPayloads['pack.completed'] = { picking, sscc: parcelSscc(picking, 0, ctx.companyPrefix), weight_kg: grams / 1000, lines: lines.map(({ product, quantity }) => ({ product, quantity })) };
  return { ok: true, updates: [update(job, ctx, 'pick.confirmed', { picking, lines }, 'pick.confirmed', 0), update(job, ctx, 'pack.completed', packed, 'pack.completed', 1)] };
}

/** Sorter work: each planned parcel to its chute, then the label and the dispatch of the picking. */
export function planSorter(job: Extract<Job, { kind: 'sort_plan' }>, ctx: PlanContext): Plan {
  const picking = job.header.picking;
  if (ctx.rnd.chance(ctx.failRate)) return failed(job, ctx, 'REJECTED', 'parcel rejected: label unreadable at the scan tunnel');
  const updates: SimUpdate[] = [];
  job.entries.forEach((e, i) => {
    const code = e.sscc || parcelSscc(picking, i, ctx.companyPrefix);
    const chute = e.chute || ctx.defaultChute || 'MANUAL';
    updates.push(update(job, ctx, 'parcel.sorted', { sscc: code, picking, chute, ...(e.lane ? { lane: e.lane } : {}) }, `parcel.sorted:${code}`, i));
  });
  const first = job.entries[0];
  const carrier = first?.carrier || ctx.carrier || 'DHL';
  const tracking = `JJD${String(ctx.rnd.int(0, 999_999_999)).padStart(9, '0')}${String(ctx.rnd.int(0, 999_999_999)).padStart(9, '0')}`;
  const labelled: DeviceErpPayloads['shipment.labelled'] = { picking, carrier, tracking_number: tracking, sscc: first?.sscc || parcelSscc(picking, 0, ctx.companyPrefix) };
  updates.push(update(job, ctx, 'shipment.labelled', labelled, 'shipment.labelled', job.entries.length));
  updates.push(update(job, ctx, 'shipment.dispatched', { picking }, 'shipment.dispatched', job.entries.length + 1));
  return { ok: true, updates };
}

/** Robot work: the order's pick actions, confirmed with the parameters the order gave (or a gripper fault). */
export function planRobot(job: Extract<Job, { kind: 'order' }>, ctx: PlanContext): Plan {
  const lines: PickLine[] = [];
  for (const node of job.nodes) {
    for (const a of node.actions ?? []) {
      if (a.action_type !== 'pick') continue;
      const p = a.parameters ?? {};
      const product = productRef(p);
      const quantity = Number(p.quantity);
      if (!product || !(quantity > 0)) return failed(job, ctx, 'BAD_ORDER', `action ${a.action_id} names no product or quantity`);
      const line: PickLine = { product, quantity };
      if (p.lot) line.lot = p.lot;
      const location = p.location_barcode || node.location_barcode;
      if (location) line.location = { barcode: location };
      lines.push(line);
    }
  }
  if (lines.length === 0) return failed(job, ctx, 'BAD_ORDER', `order ${job.orderId} has no pick action`);
  if (ctx.rnd.chance(ctx.failRate)) return failed(job, ctx, 'gripperFault', `robot ${ctx.deviceId}: vacuum lost during the pick`);
  return { ok: true, updates: [update(job, ctx, 'pick.confirmed', { picking: job.header.picking, lines }, 'pick.confirmed', 0)] };
}

/** The plan of any job of the simulator's family; undefined for a job it does not act on (a withdrawal). */
export function planJob(job: Job, ctx: PlanContext): Plan | undefined {
  switch (job.kind) {
    case 'expected_scans':
      return planBarcode(job, ctx);
    case 'sort_plan':
      return planSorter(job, ctx);
    case 'order':
      return planRobot(job, ctx);
    case 'withdrawal':
    case 'ignored':
      return undefined;
  }
}
