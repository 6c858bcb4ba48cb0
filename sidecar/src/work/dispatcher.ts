import { ACK, Consumer, deadLetter, declarePools, declareTopology, DROP, poolNames, poolQueue, RELEASE, TOPOLOGY, type ConsumerSource, type Delivery, type Outcome, type PoolNames, type TopologyNames } from '../broker';
import { FAMILIES, type Family, type ParsedWorkAck } from '@logistics-bridge/contract';
import { StreamStateMap, type GatewayMetrics } from '../devices/gateway';
import type { Service } from '../lifecycle';
import { sleep } from '../retry';
import type { Logger } from '../telemetry';
import { parsePoolMessage, WORK_CAPABILITY, type PoolMessage } from './messages';
import type { VoidSet } from './voids';

/** What the dispatcher needs of a connected adapter stream (the gateway's StreamSession). */
export interface WorkTarget {
  readonly family: string;
  readonly capabilities: readonly string[];
  readonly warehouse: string;
  /** adapter id + NUL + stream id. */
  readonly streamKey: string;
  /** After the Hello and before the call closed. */
  readonly open: boolean;
  /** False when the stream cannot take it now (ended, or its write buffer is full). */
  sendWork(work: Record<string, unknown>): boolean;
}

export interface WorkDispatcherOptions {
  source: ConsumerSource;
  /** Connected adapter streams (the gateway's `liveSessions()`). */
  sessions: () => readonly WorkTarget[];
  voids: VoidSet;
  log: Logger;
  metrics: Pick<GatewayMetrics, 'work' | 'workAcks'>;
  topology?: TopologyNames;
  /** Unacked work per pool consumer (default 200). */
  prefetch?: number;
  /** How often connected streams are looked at (pools to consume, streams gone; default 100 ms). */
  tickMs?: number;
}

type Answer = 'accepted' | 'refused' | 'gone';
interface Waiter {
  target: WorkTarget;
  resolve(answer: Answer, reason?: string): void;
}

/** The pool of a capable stream: its family and warehouse ('' = the family's general pool). */
export function poolOf(t: WorkTarget): { family: Family; warehouse: string } | undefined {
  const family = FAMILIES.find((f) => f === t.family);
  if (!family || !t.open || !t.capabilities.includes(WORK_CAPABILITY[family])) return undefined;
  return { family, warehouse: t.warehouse };
}

/**
 * Flow 3, second stage (docs/broker.md "Work pools"): while this sidecar has at least one capable
 * adapter stream of a pool (family, warehouse, capability) connected, it consumes that pool's quorum
 * queue; each work item is sent to one of those streams and held unacked until that stream answers
 * `work_ack` (accepted: acked; refused: parked in `<pool>.dead` with the reason). When the stream goes
 * away first, the work goes to another stream of the pool here; when the last one goes, the pool's
 * consumer stops and RabbitMQ hands the unacked work to another sidecar's consumer of the pool (or to
 * this one when an adapter comes back). No requeue, and the pool queues have no delivery limit
 * (`QueueSpec.deliveries`). Work known to be void (VoidSet) is acked without being sent.
 */
export class WorkDispatcher implements Service {
  readonly name = 'work-dispatcher';
  private readonly names: TopologyNames;
  private readonly pools = new Map<string, { pool: PoolNames; family: Family; stop: AbortController; done: Promise<void> }>();
  private readonly waiters = new Map<string, Waiter>();
  /** Work id -> stream it was last sent to (a withdrawal prefers it). */
  private readonly sentTo = new StreamStateMap<string>(100_000);
  /** Work ids this sidecar acked unsent because they were void (their withdrawal is not sent either). */
  private readonly dropped = new StreamStateMap<true>(100_000);
  private turn = 0;

  constructor(private readonly opts: WorkDispatcherOptions) {
    this.names = opts.topology ?? TOPOLOGY;
  }

  /** A stream's `work_ack` (wired to `DeviceGateway.onWorkAck`). */
  ack(session: WorkTarget, ack: ParsedWorkAck): void {
    const key = `${session.streamKey}\u0000${ack.workId}`;
    const w = this.waiters.get(key);
    if (!w) {
      this.opts.log.debug('work_ack for work the stream does not hold; ignored', { workId: ack.workId });
      return;
    }
    this.waiters.delete(key);
    w.resolve(ack.outcome, ack.reason);
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.tick();
      await sleep(this.opts.tickMs ?? 100, signal).catch(() => undefined);
    }
    for (const p of this.pools.values()) p.stop.abort();
    await Promise.all([...this.pools.values()].map((p) => p.done));
    this.pools.clear();
  }

  /** Starts consuming the pools that gained a capable stream, stops those that lost the last, frees waiters of gone streams. */
  private tick(): void {
    const live = this.opts.sessions();
    const wanted = new Map<string, { family: Family; warehouse: string }>();
    for (const t of live) {
      const pool = poolOf(t);
      if (!pool) continue;
      wanted.set(poolNames(this.names, pool.family, pool.warehouse).queue, pool);
    }
    for (const [key, w] of this.waiters) {
      if (!w.target.open) {
        this.waiters.delete(key);
        w.resolve('gone');
      }
    }
    for (const [queue, p] of this.pools) {
      if (!wanted.has(queue)) {
        this.pools.delete(queue);
        p.stop.abort();
        this.opts.log.info('no capable adapter of the pool connected here; stopped consuming it', { queue });
      }
    }
    for (const [queue, { family, warehouse }] of wanted) {
      if (this.pools.has(queue)) continue;
      const pool = poolNames(this.names, family, warehouse);
      const stop = new AbortController();
      const consumer = new Consumer(this.opts.source, (d, s) => this.handle(pool, family, d, s), {
        queue: poolQueue(pool),
        prefetch: this.opts.prefetch ?? 200,
        log: this.opts.log,
        setup: async (ch) => {
          await declareTopology(ch, this.names);
          await declarePools(ch, this.names, FAMILIES);
        },
      });
      this.pools.set(queue, { pool, family, stop, done: consumer.run(stop.signal) });
      this.opts.log.info('a capable adapter of the pool is connected here; consuming it', { queue });
    }
  }

  private targets(pool: PoolNames, family: Family): WorkTarget[] {
    return this.opts.sessions().filter((t) => {
      const p = poolOf(t);
      return p !== undefined && p.family === family && p.warehouse === pool.warehouse;
    });
  }

  private async handle(pool: PoolNames, family: Family, d: Delivery, signal: AbortSignal): Promise<Outcome> {
    let msg: PoolMessage | undefined;
    try {
      msg = parsePoolMessage(JSON.parse(d.content.toString('utf8')));
    } catch {
      msg = undefined;
    }
    if (!msg) {
      this.opts.log.warn('a pool message that is not work; rejected (moved to the dead-letter queue)', { queue: pool.queue, messageId: d.properties.messageId });
      return DROP;
    }
    const stop = AbortSignal.any([signal, d.lost]);
    while (!stop.aborted) {
      if (msg.kind === 'work' && this.opts.voids.isVoid(msg.work_id, msg.picking_id, msg.database)) {
        this.dropped.set(msg.work_id, true);
        this.opts.log.info('work is void (withdrawn, or its picking done or cancelled); dropped unsent', { queue: pool.queue, workId: msg.work_id });
        return ACK;
      }
      if (msg.kind === 'withdrawal' && this.dropped.get(msg.work_id) !== undefined) return ACK;
      const candidates = this.targets(pool, family);
      const preferred = msg.kind === 'withdrawal' ? candidates.find((t) => t.streamKey === this.sentTo.get(msg.work_id)) : undefined;
      const target = preferred ?? candidates[this.turn++ % Math.max(1, candidates.length)];
      if (!target) {
        await sleep(100, stop).catch(() => undefined);
        continue;
      }
      const key = `${target.streamKey}\u0000${msg.work_id}`;
      const answer = new Promise<{ answer: Answer; reason?: string }>((resolve) => {
        this.waiters.get(key)?.resolve('gone'); // a redelivered copy replaces an older wait for the same work
        this.waiters.set(key, { target, resolve: (a, reason) => resolve({ answer: a, reason }) });
      });
      if (!target.sendWork(msg.work)) {
        this.waiters.delete(key);
        await sleep(50, stop).catch(() => undefined);
        continue;
      }
      this.opts.metrics.work.inc({ family });
      if (msg.kind === 'work') this.sentTo.set(msg.work_id, target.streamKey);
      const got = await Promise.race([answer, new Promise<undefined>((r) => stop.addEventListener('abort', () => r(undefined), { once: true }))]);
      if (!got) {
        if (this.waiters.get(key)?.target === target) this.waiters.delete(key);
        break;
      }
      if (got.answer !== 'gone') this.opts.metrics.workAcks.inc({ family, outcome: got.answer });
      if (got.answer === 'accepted') return ACK;
      if (got.answer === 'refused') return deadLetter(`refused by adapter stream ${target.streamKey.replace('\u0000', '/')}: ${got.reason || 'no reason given'}`);
      // gone: the stream closed before answering; another stream of the pool (or, once none is left here, another sidecar) gets it
    }
    return RELEASE;
  }
}
