import { ACK, ConfirmPublisher, Consumer, DROP, RELEASE, declarePools, declareQueue, poolQueue, declareTopology, DEVICE_WORK_QUEUE, poolNames, TOPOLOGY, WITHDRAWN_ROUTING_KEY, workQueue, type ConsumerSource, type Delivery, type Outcome, type TopologyNames } from '../broker';
import type { Service } from '../lifecycle';
import { backoffDelay, sleep } from '../retry';
import type { Logger } from '../telemetry';
import { FAMILIES } from '@logistics-bridge/contract';
import { buildWithdrawal, buildWork, eventDatabase, familiesFor, parsePickingReady, parsePickingWithdrawn, warehouseCode, type PoolMessage } from './messages';

export interface WorkRouterOptions {
  /** The Broker's recovering connection (`broker.model`). */
  source: ConsumerSource;
  log: Logger;
  /** Default `logistics.device-work`; tests use their own. */
  queue?: string;
  /** Other exchange names, for tests only. */
  topology?: TopologyNames;
  /** Events routed at once (default 200). */
  prefetch?: number;
}

/**
 * Flow 3, first stage (docs/broker.md "Work pools"): consumes `stock.picking.ready` and
 * `stock.picking.withdrawn` from `logistics.events` through the durable quorum queue
 * `logistics.device-work` and publishes, with confirms, one message per family into that family's pool
 * exchange (routing key = the picking's warehouse code): the work itself, or the withdrawal of each
 * voided work. The event is acked once every copy is confirmed, so nothing is held here and nothing
 * waits for an adapter: the pool queues hold the work (`WorkDispatcher` delivers it). A failed publish
 * is retried with backoff in place (never requeued). An event that is not the canonical payload is
 * rejected (RabbitMQ moves it to `logistics.device-work.dead`).
 */
export class WorkRouter implements Service {
  readonly name = 'work-router';
  private readonly consumer: Consumer;
  private readonly publisher: ConfirmPublisher;
  private readonly names: TopologyNames;

  constructor(private readonly opts: WorkRouterOptions) {
    this.names = opts.topology ?? TOPOLOGY;
    const names = this.names;
    const prefetch = opts.prefetch ?? 200;
    this.publisher = new ConfirmPublisher(opts.source, { window: prefetch * 3, mode: 'wait', log: opts.log, setup: (ch) => declarePools(ch, names, FAMILIES) });
    this.consumer = new Consumer(opts.source, (d, signal) => this.handle(d, signal), {
      queue: workQueue(opts.queue ?? DEVICE_WORK_QUEUE, names.events),
      prefetch,
      log: opts.log,
      setup: async (ch) => {
        await declareTopology(ch, names);
        await declarePools(ch, names, FAMILIES);
        // Each family's general pool queue exists before any work is published: no work is ever unroutable.
        for (const family of FAMILIES) await declareQueue(opts.source, poolQueue(poolNames(names, family, '')), opts.log);
      },
    });
  }

  get queue(): string {
    return this.consumer.queue;
  }

  async run(signal: AbortSignal): Promise<void> {
    await this.consumer.run(signal);
    await this.publisher.close();
  }

  private async handle(d: Delivery, signal: AbortSignal): Promise<Outcome> {
    let body: unknown;
    try {
      body = JSON.parse(d.content.toString('utf8'));
    } catch {
      body = undefined;
    }
    const messageId = typeof d.properties.messageId === 'string' ? d.properties.messageId : '';
    const correlationId = String(d.properties.correlationId ?? '');
    const withdrawn = (d.properties.type ?? d.fields.routingKey) === WITHDRAWN_ROUTING_KEY;
    const copies: Array<{ family: string; warehouse: string; msg: PoolMessage }> = [];
    const now = Date.now();
    const database = eventDatabase(d.properties.headers);
    if (withdrawn) {
      const parsed = parsePickingWithdrawn(body);
      if (!parsed.ok) {
        this.opts.log.warn('rejecting a stock.picking.withdrawn event that is not the canonical payload (moved to the dead-letter queue)', { messageId, error: parsed.error });
        return DROP;
      }
      const e = parsed.event;
      for (const family of familiesFor(e.shipment.direction)) {
        for (const workId of e.voids) copies.push({ family, warehouse: warehouseCode(e.shipment.warehouse), msg: { kind: 'withdrawal', work_id: workId, picking_id: e.shipment.id, database, work: buildWithdrawal(family, e, workId, correlationId, now) } });
      }
    } else {
      const event = parsePickingReady(body);
      if (!event || !messageId) {
        this.opts.log.warn('rejecting a stock.picking.ready event that is not the canonical payload or has no messageId (moved to the dead-letter queue)', { messageId });
        return DROP;
      }
      const work = buildWork(event, messageId, correlationId, now);
      for (const family of FAMILIES) {
        const w = work[family];
        if (w) copies.push({ family, warehouse: warehouseCode(event.shipment.warehouse), msg: { kind: 'work', work_id: messageId, picking_id: event.shipment.id, database, work: w } });
      }
    }
    const stop = AbortSignal.any([signal, d.lost]);
    for (let attempt = 0; !stop.aborted; attempt++) {
      try {
        await Promise.all(copies.map((c) => this.publish(c.family, c.warehouse, c.msg, correlationId, stop)));
        return ACK;
      } catch (err) {
        if (stop.aborted) break;
        const delay = backoffDelay(attempt, { baseMs: 200, maxMs: 5000 });
        this.opts.log.warn('cannot publish work to its pool; retrying', { messageId, error: err instanceof Error ? err.message : String(err), retryInMs: delay });
        await sleep(delay, stop).catch(() => undefined);
      }
    }
    return RELEASE; // stopping: the closed channel gives the event back (publishing it again later is harmless: adapters dedupe on work_id)
  }

  private publish(family: string, warehouse: string, msg: PoolMessage, correlationId: string, signal: AbortSignal): Promise<void> {
    const pool = poolNames(this.names, family, warehouse);
    return this.publisher.publish(
      {
        exchange: pool.exchange,
        routingKey: warehouse,
        content: Buffer.from(JSON.stringify(msg)),
        options: { persistent: true, contentType: 'application/json', messageId: `${msg.kind}:${msg.work_id}`, correlationId, type: `work.${msg.kind}`, headers: { 'x-work-id': msg.work_id, 'x-picking-id': msg.picking_id } },
      },
      signal,
    );
  }
}
