import type { Channel } from 'amqplib';
import type { Logger } from '../telemetry';

/**
 * Every exchange and queue the bridge uses, named and declared here only (docs/broker.md has the table).
 *
 * - `logistics.events`: durable topic exchange, routing key = event type (`stock.picking.ready`); the
 *   relay publishes to it. Its alternate exchange `logistics.unroutable` (fanout) feeds a quorum queue
 *   of the same name, so an event no consumer has bound yet is kept rather than dropped by the broker.
 * - `logistics.updates`: the gateway publishes ERP updates to it, the applier consumes them; its dead
 *   letters go to `logistics.updates.dead`.
 * - `logistics.device-work`: bound to `logistics.events` with `stock.picking.ready`, consumed by the
 *   work router (Flow 3); parked work goes to `logistics.device-work.dead`.
 *
 * Reserved for the issues that follow (named here so their queues get the same arguments, not declared
 * yet because nothing publishes or consumes them): `logistics.partner.updates` (partner ingress
 * exchange) and one work queue per adapter pool (`workQueue(pool)`).
 *
 * The bridge never deletes anything. Other names are for tests and benchmarks that must not touch the
 * real ones.
 */
export const EVENTS_EXCHANGE = 'logistics.events';
export const UNROUTABLE_EXCHANGE = 'logistics.unroutable';
export const UNROUTABLE_QUEUE = 'logistics.unroutable';
export const UPDATES_QUEUE = 'logistics.updates';
export const UPDATES_DEAD_QUEUE = 'logistics.updates.dead';
export const DEVICE_WORK_QUEUE = 'logistics.device-work';
export const WORK_ROUTING_KEY = 'stock.picking.ready';
export const WITHDRAWN_ROUTING_KEY = 'stock.picking.withdrawn';
/** Events that void work (Flow 3): bound to the voids stream (the withdrawn one also to the device work queue, after `stock.picking.ready`). */
export const VOID_ROUTING_KEYS = ['stock.picking.withdrawn', 'stock.picking.done', 'stock.picking.cancelled'] as const;
/** Prefix of the pool exchanges and queues (`logistics.work.<family>`, `logistics.work.<family>.<warehouse>`). */
export const WORK_PREFIX = 'logistics.work';
/** Reserved: the exchange partners (carriers, warehouse systems) will publish their updates to. */
export const PARTNER_UPDATES_EXCHANGE = 'logistics.partner.updates';

/**
 * Deliveries of one message before the broker dead-letters it (set explicitly so RabbitMQ 3.10, which
 * has no default, and 4.x, whose default is 20, behave alike). The bridge never requeues in a loop
 * (the applier holds retries in memory, the work router holds work until an adapter takes it), so a
 * message only reaches this after 20 lost channels or crashes while it was being handled.
 */
export const DELIVERY_LIMIT = 20;

export interface TopologyNames {
  events: string;
  unroutableExchange: string;
  unroutableQueue: string;
  /** Prefix of the work pools' exchanges and queues (default `logistics.work`; tests: `<events>.work`). */
  work?: string;
}

/** The work pools' prefix of `names`. */
export function workPrefix(names: TopologyNames): string {
  return names.work ?? (names.events === EVENTS_EXCHANGE ? WORK_PREFIX : `${names.events}.work`);
}

export const TOPOLOGY: TopologyNames = { events: EVENTS_EXCHANGE, unroutableExchange: UNROUTABLE_EXCHANGE, unroutableQueue: UNROUTABLE_QUEUE };

/** One durable quorum queue: its arguments, bindings, and the queue it dead-letters to. */
export interface QueueSpec {
  name: string;
  arguments: Record<string, string | number>;
  /**
   * `unlimited`: no delivery limit at all, whatever the broker (`declareQueue` reads its version).
   * Measured here (test/integration/broker-queues.int.spec.ts): a message returned by a closed channel
   * counts as a delivery on both; RabbitMQ 4.0 drops it after its 21st delivery without
   * `x-delivery-limit` and keeps it for ever with `-1`; RabbitMQ 3.10 keeps it for ever without the
   * argument and drops it at its first return with `-1`. So: `-1` on 4.x, nothing on 3.x.
   */
  deliveries?: 'unlimited';
  bindings: ReadonlyArray<{ exchange: string; routingKey: string }>;
  /** Declared first: where the broker (delivery limit) and the bridge (dead-letter outcome) put what cannot be handled. */
  deadLetter?: QueueSpec;
}

/**
 * A queue nobody consumes automatically (dead letters, parked work), read and moved by an operator.
 * No delivery limit and no dead-letter target of its own: `x-queue-type` only, the arguments these
 * queues have always had, so existing ones declare again unchanged. (On RabbitMQ 4.x the default limit of
 * 20 then applies to requeues by an operator browsing it in the management UI: use "Ack" or a shovel.)
 */
export function parkingQueue(name: string): QueueSpec {
  return { name, arguments: { 'x-queue-type': 'quorum' }, bindings: [] };
}

/**
 * A queue the bridge consumes: quorum, an explicit delivery limit, and a dead-letter target
 * `<name>.dead` (at-least-once dead-lettering, which quorum queues support from 3.10 with
 * `x-overflow: reject-publish`), so no broker delivery limit ever drops a message.
 */
export function consumedQueue(name: string, bindings: QueueSpec['bindings'] = []): QueueSpec {
  const dead = parkingQueue(`${name}.dead`);
  return {
    name,
    arguments: {
      'x-queue-type': 'quorum',
      'x-delivery-limit': DELIVERY_LIMIT,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': dead.name,
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    },
    bindings,
    deadLetter: dead,
  };
}

/** `logistics.updates` (or a test's own name) and its dead letters. */
export function updatesQueue(name: string = UPDATES_QUEUE): QueueSpec {
  return consumedQueue(name);
}

/** The device work queue (Flow 3), bound to the events exchange for ready and void events, with its parking queue. */
export function workQueue(name: string = DEVICE_WORK_QUEUE, events: string = EVENTS_EXCHANGE): QueueSpec {
  return consumedQueue(name, [WORK_ROUTING_KEY, WITHDRAWN_ROUTING_KEY].map((routingKey) => ({ exchange: events, routingKey })));
}

/**
 * A work pool's names (Flow 3, docs/broker.md "Work pools"): per family a direct exchange
 * `<prefix>.<family>` (routing key = warehouse code) whose alternate exchange `<prefix>.<family>.any`
 * (fanout) feeds the family's general pool queue `<prefix>.<family>`; a warehouse's pool queue
 * `<prefix>.<family>.<warehouse>` is bound with its code. Work for a warehouse goes to its pool once an
 * adapter of that warehouse has connected anywhere (the binding exists), to the general pool before.
 */
export interface PoolNames {
  exchange: string;
  anyExchange: string;
  queue: string;
  /** The binding key on `exchange` ('' for the general pool, bound to `anyExchange`). */
  warehouse: string;
}

export function poolNames(names: TopologyNames, family: string, warehouse: string): PoolNames {
  const exchange = `${workPrefix(names)}.${family}`;
  return { exchange, anyExchange: `${exchange}.any`, queue: warehouse ? `${exchange}.${warehouse}` : exchange, warehouse };
}

/** A pool queue: quorum, no delivery limit (work waits for an adapter however often it comes back), parked refusals in `<queue>.dead`. */
export function poolQueue(pool: PoolNames): QueueSpec {
  const dead = parkingQueue(`${pool.queue}.dead`);
  return {
    name: pool.queue,
    arguments: { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dead.name, 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' },
    deliveries: 'unlimited',
    bindings: pool.warehouse ? [{ exchange: pool.exchange, routingKey: pool.warehouse }] : [{ exchange: pool.anyExchange, routingKey: '' }],
    deadLetter: dead,
  };
}

/** The family exchanges of the work pools and each family's general pool queue (so no work is ever unroutable). */
export async function declarePools(channel: Pick<Channel, 'assertExchange' | 'assertQueue' | 'bindQueue'>, names: TopologyNames, families: readonly string[]): Promise<void> {
  for (const family of families) {
    const pool = poolNames(names, family, '');
    await channel.assertExchange(pool.anyExchange, 'fanout', { durable: true, autoDelete: false });
    await channel.assertExchange(pool.exchange, 'direct', { durable: true, autoDelete: false, alternateExchange: pool.anyExchange });
  }
}

/**
 * The voids stream (Flow 3): a stream queue bound to the events exchange for the void events, read from
 * its start by every sidecar, so work already void is dropped instead of sent, also after a restart.
 * Retention 7 days or 1 GB.
 */
export function voidsStream(names: TopologyNames): QueueSpec {
  return {
    name: `${workPrefix(names)}.voids`,
    arguments: { 'x-queue-type': 'stream', 'x-max-age': '7D', 'x-max-length-bytes': 1_000_000_000 },
    bindings: VOID_ROUTING_KEYS.map((routingKey) => ({ exchange: names.events, routingKey })),
  };
}

/** The broker's major version from a channel's connection (0 when unknown). */
export function brokerMajor(channel: unknown): number {
  const version = (channel as { connection?: { serverProperties?: { version?: unknown } } }).connection?.serverProperties?.version;
  const major = typeof version === 'string' ? Number(version.split('.')[0]) : NaN;
  return Number.isFinite(major) ? major : 0;
}

/** The arguments `spec` is declared with on a broker of `major` version. */
export function queueArguments(spec: QueueSpec, major: number): Record<string, string | number> {
  return spec.deliveries === 'unlimited' && major >= 4 ? { ...spec.arguments, 'x-delivery-limit': -1 } : spec.arguments;
}

/** Idempotent declaration of the exchanges (on any channel: exchanges are never declared with other arguments). */
export async function declareTopology(channel: Pick<Channel, 'assertExchange' | 'assertQueue' | 'bindQueue'>, names: TopologyNames = TOPOLOGY): Promise<void> {
  await channel.assertExchange(names.unroutableExchange, 'fanout', { durable: true, autoDelete: false });
  await channel.assertQueue(names.unroutableQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(names.unroutableQueue, names.unroutableExchange, '');
  await channel.assertExchange(names.events, 'topic', { durable: true, autoDelete: false, alternateExchange: names.unroutableExchange });
}

/** Where declarations get their channels: the Broker's recovering connection (`broker.model`). */
export interface ChannelSource {
  createChannel(): Promise<Channel>;
}

/**
 * How a declaration ended: `declared` with the spec's arguments, or `kept` because the queue already
 * exists with other arguments (declared by an older version of the bridge): RabbitMQ refuses to change
 * a queue's arguments (PRECONDITION_FAILED), so the queue is used as it is and a warning says how to
 * give it the new ones by policy (docs/broker.md, "Upgrading queues").
 */
export type Declared = 'declared' | 'kept';

/**
 * Declares `spec` (its dead-letter queue first) and its bindings, idempotently, on channels of its own
 * (a refused declaration closes the channel it ran on). Resolves with what happened to the queue itself.
 */
export async function declareQueue(source: ChannelSource, spec: QueueSpec, log: Logger): Promise<Declared> {
  if (spec.deadLetter) await declareQueue(source, spec.deadLetter, log);
  let ch = await source.createChannel();
  ch.on('error', () => undefined); // a refused declaration is answered below, not as a channel error
  let outcome: Declared = 'declared';
  try {
    try {
      await ch.assertQueue(spec.name, { durable: true, arguments: queueArguments(spec, brokerMajor(ch)) });
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
      ch = await source.createChannel();
      ch.on('error', () => undefined);
      await ch.checkQueue(spec.name);
      outcome = 'kept';
      log.warn('queue exists with other arguments (declared by an older version); used as it is, apply the policy of docs/broker.md to give it the new ones', {
        queue: spec.name,
        wanted: queueArguments(spec, brokerMajor(ch)),
        error: err instanceof Error ? err.message : String(err),
      });
    }
    for (const b of spec.bindings) await ch.bindQueue(spec.name, b.exchange, b.routingKey);
  } finally {
    await ch.close().catch(() => undefined);
  }
  return outcome;
}

function isPreconditionFailed(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 406;
}
