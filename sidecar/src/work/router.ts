import { ACK, Consumer, DROP, REQUEUE, declareTopology, DEVICE_WORK_QUEUE, TOPOLOGY, workQueue, type ConsumerSource, type Delivery, type Outcome, type TopologyNames } from '../broker';
import type { Family } from '@logistics-bridge/contract';
import type { GatewayMetrics } from '../devices/gateway';
import type { Service } from '../lifecycle';
import { sleep } from '../retry';
import type { Logger } from '../telemetry';
import { buildWork, parsePickingReady, warehouseCode, WORK_CAPABILITY } from './messages';

/** What the router needs of a connected adapter stream (the gateway's StreamSession). */
export interface WorkTarget {
  readonly family: string;
  readonly capabilities: readonly string[];
  readonly warehouse: string;
  /** False when the stream cannot take it now (ended, or its work buffer is full). */
  sendWork(work: Record<string, unknown>): boolean;
}

export interface WorkRouterOptions {
  /** The Broker's recovering connection (`broker.model`). */
  source: ConsumerSource;
  /** Connected adapter streams (the gateway's `liveSessions()`). */
  sessions: () => readonly WorkTarget[];
  log: Logger;
  metrics: Pick<GatewayMetrics, 'work'>;
  /** Default `logistics.device-work`; tests use their own. */
  queue?: string;
  /** Other exchange names, for tests only. */
  topology?: TopologyNames;
  /** How often work no adapter could take is offered again to the connected ones (default 1 s). */
  retryMs?: number;
  /** Work held unacked at once, waiting for an adapter (default 50). */
  prefetch?: number;
}

const FAMILIES: readonly Family[] = ['barcode', 'sorter', 'robot_fleet'];

/**
 * Flow 3: consumes `stock.picking.ready` from `logistics.events` through the durable quorum queue
 * `logistics.device-work` (the broker's consumer helper) and sends the work to one connected adapter per
 * family that announced the capability (round robin, preferring the picking's warehouse). An event is
 * acked once sent to every family that has a capable adapter. With none connected it is held unacked and
 * offered again every `retryMs` (not requeued: a requeue counts against the queue's delivery limit);
 * `prefetch` bounds what is held, the rest waits in the queue. An event that is not the canonical
 * payload is dropped (rejected: RabbitMQ moves it to `logistics.device-work.dead`).
 */
export class WorkRouter implements Service {
  readonly name = 'work-router';
  private turn = 0;
  private readonly consumer: Consumer;

  constructor(private readonly opts: WorkRouterOptions) {
    const names = opts.topology ?? TOPOLOGY;
    this.consumer = new Consumer(opts.source, (d, signal) => this.handle(d, signal), {
      queue: workQueue(opts.queue ?? DEVICE_WORK_QUEUE, names.events),
      prefetch: opts.prefetch ?? 50,
      log: opts.log,
      setup: (ch) => declareTopology(ch, names),
    });
  }

  get queue(): string {
    return this.consumer.queue;
  }

  run(signal: AbortSignal): Promise<void> {
    return this.consumer.run(signal);
  }

  private async handle(d: Delivery, signal: AbortSignal): Promise<Outcome> {
    let body: unknown;
    try {
      body = JSON.parse(d.content.toString('utf8'));
    } catch {
      body = undefined;
    }
    const event = parsePickingReady(body);
    if (!event) {
      this.opts.log.warn('rejecting a stock.picking.ready event that is not the canonical payload (moved to the dead-letter queue)', { messageId: d.properties.messageId });
      return DROP;
    }
    const workId = String(d.properties.messageId ?? `picking-${event.shipment.id}`);
    const correlationId = String(d.properties.correlationId ?? '');
    const warehouse = warehouseCode(event.shipment.warehouse);
    const stop = AbortSignal.any([signal, d.lost]);
    while (!stop.aborted) {
      if (this.route(buildWork(event, workId, correlationId, Date.now()), warehouse) > 0) return ACK;
      await sleep(this.opts.retryMs ?? 1000, stop).catch(() => undefined);
    }
    return REQUEUE; // shutting down (or the channel is gone and the outcome is ignored)
  }

  /** Sends each family's work to one capable adapter; how many families took it. */
  private route(work: ReturnType<typeof buildWork>, warehouse: string): number {
    let sent = 0;
    for (const family of FAMILIES) {
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
    return sent;
  }
}
