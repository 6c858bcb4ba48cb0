import type { Channel, ConsumeMessage } from 'amqplib';
import { z } from 'zod';
import { declareTopology, EVENTS_EXCHANGE, TOPOLOGY, type TopologyNames } from '../../broker';
import type { Logger } from '../../telemetry';
import type { GatewayMetrics } from './metrics';
import type { Family } from '@logistics-bridge/contract';
import type { StreamSession } from './session';

/** Flow 3: released pickings become work for connected adapters. */
export const DEVICE_WORK_QUEUE = 'logistics.device-work';
export const WORK_ROUTING_KEY = 'stock.picking.ready';

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

function warehouseCode(w: unknown): string {
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

export interface WorkRouterOptions {
  queue: string;
  topology?: TopologyNames;
  log: Logger;
  metrics: GatewayMetrics;
  sessions: () => StreamSession[];
  /** Delay before an event with no connected adapter is offered again (default 5 s). */
  retryMs?: number;
}

/**
 * Consumes `stock.picking.ready` from `logistics.events` through the durable quorum queue
 * `logistics.device-work` and sends the work to one connected adapter per family that announced the
 * capability (round robin, preferring the picking's warehouse). An event is acked once sent to every
 * family that has a capable adapter; with none connected it is requeued after `retryMs`.
 */
export class WorkRouter {
  private channel: Channel | undefined;
  private turn = 0;
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: WorkRouterOptions) {}

  /** Opens the consumer (waiting for the broker), and opens it again whenever its channel dies. */
  start(source: { createChannel(): Promise<Channel> }): void {
    this.stopped = false;
    const open = () => {
      if (this.stopped) return;
      this.setup(source).catch((err: unknown) => {
        this.opts.log.warn('cannot open the device work consumer; retrying', { error: err instanceof Error ? err.message : String(err) });
        this.later(open, 2000);
      });
    };
    this.reopen = () => this.later(open, 1000);
    open();
  }

  private reopen: () => void = () => undefined;

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private async setup(source: { createChannel(): Promise<Channel> }): Promise<void> {
    const ch = await source.createChannel();
    ch.on('error', (err: Error) => this.opts.log.warn('device work channel error', { error: err.message }));
    ch.on('close', () => {
      if (this.channel === ch) this.channel = undefined;
      if (!this.stopped) this.reopen();
    });
    const names = this.opts.topology ?? TOPOLOGY;
    await declareTopology(ch, names);
    await ch.assertQueue(this.opts.queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await ch.bindQueue(this.opts.queue, names.events ?? EVENTS_EXCHANGE, WORK_ROUTING_KEY);
    await ch.prefetch(50);
    await ch.consume(this.opts.queue, (m) => m && this.handle(ch, m));
    this.channel = ch;
  }

  async close(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.channel?.close().catch(() => undefined);
    this.channel = undefined;
  }

  private handle(ch: Channel, m: ConsumeMessage): void {
    let body: unknown;
    try {
      body = JSON.parse(m.content.toString('utf8'));
    } catch {
      body = undefined;
    }
    const event = parsePickingReady(body);
    if (!event) {
      this.opts.log.warn('dropping a stock.picking.ready event that is not the canonical payload', { messageId: m.properties.messageId });
      return ch.ack(m);
    }
    const workId = String(m.properties.messageId ?? `picking-${event.shipment.id}`);
    const work = buildWork(event, workId, String(m.properties.correlationId ?? ''), Date.now());
    const warehouse = warehouseCode(event.shipment.warehouse);
    let sent = 0;
    for (const family of ['barcode', 'sorter', 'robot_fleet'] as const) {
      const w = work[family];
      if (!w) continue;
      const capable = this.opts.sessions().filter((s) => s.family === family && s.capabilities.includes(WORK_CAPABILITY[family]));
      const local = capable.filter((s) => s.warehouse === '' || s.warehouse === warehouse);
      const pool = local.length ? local : capable;
      const target = pool[this.turn++ % Math.max(1, pool.length)];
      if (target?.sendWork(w)) {
        sent++;
        this.opts.metrics.work.inc({ family });
      }
    }
    if (sent > 0) return ch.ack(m);
    this.later(() => {
      try {
        ch.nack(m, false, true);
      } catch {
        // channel closed: the broker redelivers it anyway
      }
    }, this.opts.retryMs ?? 5000);
  }
}
