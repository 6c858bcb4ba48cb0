import { ACK, Consumer, declareTopology, TOPOLOGY, voidsStream, WITHDRAWN_ROUTING_KEY, type ConsumerSource, type Delivery, type Outcome, type TopologyNames } from '../broker';
import { StreamStateMap } from '../devices/gateway';
import type { Service } from '../lifecycle';
import type { Logger } from '../telemetry';
import { eventDatabase, parsePickingWithdrawn, pickingIdOf } from './messages';

/**
 * What is known to be void: withdrawn work ids and pickings that are done or cancelled, each picking by
 * its Odoo database (the event's `x-odoo-database`): picking ids repeat in another database, or in one
 * recreated under the same name after a restore. Pure.
 */
export class VoidSet {
  // Bounded (the gateway's bounded map, nothing pinned): past `max` entries the oldest are forgotten.
  private readonly work: StreamStateMap<true>;
  private readonly pickings: StreamStateMap<true>;
  constructor(max = 200_000) {
    this.work = new StreamStateMap(max);
    this.pickings = new StreamStateMap(max);
  }
  /** Takes one void event (its type and parsed body); false when it is not one. */
  take(type: string, body: unknown, database: string): boolean {
    if (type === WITHDRAWN_ROUTING_KEY) {
      const parsed = parsePickingWithdrawn(body);
      if (!parsed.ok) return false;
      for (const id of parsed.event.voids) this.work.set(id, true);
      if (parsed.event.reason === 'done' || parsed.event.reason === 'cancelled') this.pickings.set(pickingKey(database, parsed.event.shipment.id), true);
      return true;
    }
    const picking = pickingIdOf(body);
    if (picking === undefined) return false;
    this.pickings.set(pickingKey(database, picking), true);
    return true;
  }
  isVoid(workId: string, pickingId: number, database: string): boolean {
    return this.work.get(workId) !== undefined || this.pickings.get(pickingKey(database, pickingId)) !== undefined;
  }
}

const pickingKey = (database: string, pickingId: number) => `${database}\u0000${pickingId}`;

export interface VoidFeedOptions {
  source: ConsumerSource;
  log: Logger;
  voids: VoidSet;
  topology?: TopologyNames;
}

/**
 * Reads the voids stream (`logistics.work.voids`, bound to `stock.picking.withdrawn`, `.done` and
 * `.cancelled`) from its first entry into this sidecar's VoidSet, so the dispatcher drops work that is
 * void instead of sending it, also for events published while this sidecar was down.
 */
export class VoidFeed implements Service {
  readonly name = 'work-voids';
  private readonly consumer: Consumer;

  constructor(private readonly opts: VoidFeedOptions) {
    const names = opts.topology ?? TOPOLOGY;
    this.consumer = new Consumer(opts.source, (d) => this.handle(d), {
      queue: voidsStream(names),
      prefetch: 1000,
      log: opts.log,
      consumeArguments: { 'x-stream-offset': 'first' },
      setup: (ch) => declareTopology(ch, names),
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return this.consumer.run(signal);
  }

  private handle(d: Delivery): Outcome {
    let body: unknown;
    try {
      body = JSON.parse(d.content.toString('utf8'));
    } catch {
      body = undefined;
    }
    if (!this.opts.voids.take(String(d.properties.type ?? d.fields.routingKey), body, eventDatabase(d.properties.headers))) {
      this.opts.log.warn('a void event that is not the canonical payload; ignored by the dispatcher', { messageId: d.properties.messageId });
    }
    return ACK; // a stream keeps its entries; the ack only moves this consumer's credit
  }
}
