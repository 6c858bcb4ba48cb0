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

export async function declareTopology(channel: Channel): Promise<void> {
  await channel.assertExchange(UNROUTABLE_EXCHANGE, 'fanout', { durable: true, autoDelete: false });
  await channel.assertQueue(UNROUTABLE_QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(UNROUTABLE_QUEUE, UNROUTABLE_EXCHANGE, '');
  await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true, autoDelete: false, alternateExchange: UNROUTABLE_EXCHANGE });
}
