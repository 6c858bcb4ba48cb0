import type { Channel } from 'amqplib';

/**
 * The public topology of the bridge, declared idempotently by every publisher channel.
 *
 * - `logistics.events`: durable topic exchange, routing key = event type (`stock.picking.ready`).
 * - `logistics.unroutable`: its alternate exchange (fanout) with a durable quorum queue of the same
 *   name, so an event no consumer has bound yet is kept rather than dropped by the broker.
 *
 * Consumers declare and bind their own queues (see docs/relay.md); the bridge never deletes anything.
 */
export const EVENTS_EXCHANGE = 'logistics.events';
export const UNROUTABLE_EXCHANGE = 'logistics.unroutable';
export const UNROUTABLE_QUEUE = 'logistics.unroutable';

export interface TopologyNames {
  events: string;
  unroutableExchange: string;
  unroutableQueue: string;
}

export const TOPOLOGY: TopologyNames = { events: EVENTS_EXCHANGE, unroutableExchange: UNROUTABLE_EXCHANGE, unroutableQueue: UNROUTABLE_QUEUE };

/** Idempotent; other names only for tests and benchmarks that must not touch the real exchanges. */
export async function declareTopology(channel: Channel, names: TopologyNames = TOPOLOGY): Promise<void> {
  await channel.assertExchange(names.unroutableExchange, 'fanout', { durable: true, autoDelete: false });
  await channel.assertQueue(names.unroutableQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(names.unroutableQueue, names.unroutableExchange, '');
  await channel.assertExchange(names.events, 'topic', { durable: true, autoDelete: false, alternateExchange: names.unroutableExchange });
}
