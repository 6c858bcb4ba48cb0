import type { ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { SetupFn } from '../broker';
import type { ErpUpdate } from '@logistics-bridge/contract';
import { declareUpdatesQueue, UPDATES_QUEUE } from '../devices/gateway';
import type { Service } from '../lifecycle';
import type { CallOptions } from '../odoo';
import { sleep } from '../retry';
import type { Logger } from '../telemetry';
import type { ApplierMetrics } from './metrics';
import {
  batchRetryDelay,
  classifyBatchFailure,
  decodeUpdate,
  DEFAULT_RETRY,
  orderKey,
  outcomeOf,
  parseApplyResults,
  planBatch,
  withoutBatch,
  type ApplyResult,
  type BatchFailure,
  type DeadStage,
  type RetryPolicy,
} from './policy';

/** Where permanent failures go: durable quorum, declared like `logistics.updates` itself. */
export const UPDATES_DEAD_QUEUE = 'logistics.updates.dead';
export const UPDATE_MODEL = 'logistics.bridge.update';

/** Headers a dead-lettered message carries on top of its original properties (docs/applier.md). */
export const DEAD_HEADERS = {
  reason: 'x-reject-reason',
  stage: 'x-reject-stage',
  path: 'x-reject-path',
  attempts: 'x-apply-attempts',
  queue: 'x-original-queue',
  at: 'x-dead-lettered-at',
} as const;

/** What the applier needs from Odoo (OdooClient). */
export interface ApplyTarget {
  executeKw(model: string, method: string, args: unknown[], kwargs?: Record<string, unknown>, options?: CallOptions): Promise<unknown>;
}

/** What the applier needs from RabbitMQ (Broker): a setup run on every (re)connect. */
export interface ConnectSource {
  onConnect(setup: SetupFn): void;
}

export interface ApplierOptions {
  /** Queue consumed; tests and benchmarks use their own name. Default `logistics.updates`. */
  queue?: string;
  /** Dead-letter queue. Default `logistics.updates.dead`. */
  deadQueue?: string;
  batchSize: number;
  lingerMs: number;
  /** Unacked deliveries the broker hands this consumer (batches being formed, applied, retried). */
  prefetch: number;
  /**
   * apply_batch calls in flight at once (default 1). Batches in flight never share an order key
   * (picking, device, SSCC, quant: `orderKey`), so updates of one aggregate stay in queue order.
   */
  concurrency?: number;
  retry?: RetryPolicy;
  log: Logger;
  metrics: ApplierMetrics;
  /** Delay before a failed apply_batch call is sent again; policy.ts unless a test pins it. */
  batchRetryDelay?: (failures: number, why: Extract<BatchFailure, { kind: 'wait' }>['why']) => number;
}

/** One delivery the applier holds unacked. */
interface Held {
  msg: ConsumeMessage;
  ch: ConfirmChannel;
  update: ErpUpdate;
  /** When it may join a batch (arrival, or the end of its retry backoff). */
  readyAt: number;
  /** `retry` answers so far. */
  attempt: number;
}

const WHY_MESSAGE: Record<Extract<BatchFailure, { kind: 'wait' }>['why'], string> = {
  transport: 'Odoo unreachable; the batch waits (nothing acked) and is sent again',
  auth: 'Odoo refused the service user (wrong login or revoked API key); re-authenticating and retrying, nothing acked',
  access: 'the service user lacks a right in Odoo (group Logistics Bridge / Integration service?); retrying, nothing acked',
  server: 'Odoo failed the batch (server error); it is sent again, nothing acked',
  protocol: 'Odoo answered apply_batch with something unexpected; the batch is sent again, nothing acked',
};

/**
 * The inbound applier: consumes `logistics.updates` (prefetch window), coalesces deliveries into
 * batches (size or linger), calls `logistics.bridge.update.apply_batch` once per batch, and settles each
 * delivery by its own result: applied / duplicate → ack; retry → held in memory (still unacked) and sent
 * again after a backoff, dead-lettered after `retry.maxAttempts`; rejected → `logistics.updates.dead`
 * with the reason, then ack. A body that fails the contract schema is dead-lettered without reaching
 * Odoo. A batch that fails as a whole (Odoo down, auth) is sent again with backoff, nothing acked.
 *
 * Order: Odoo applies a batch in order, batches in flight at once (`concurrency`) never share an order
 * key (picking, device, SSCC, quant), and an update waiting for a retry holds back the later updates of
 * its key, so updates of one aggregate are applied in queue order. On abort: no new batch starts and
 * new deliveries are ignored, the batches in flight are finished and settled, then the channel is
 * closed (RabbitMQ requeues whatever was not settled).
 */
export class Applier implements Service {
  readonly name = 'inbound-applier';
  private readonly queue: string;
  private readonly deadQueue: string;
  private readonly retry: RetryPolicy;
  private channel: ConfirmChannel | undefined;
  private attachedTo: ChannelModel | undefined;
  private pending: Held[] = [];
  private readonly settling = new Set<Promise<void>>();
  /** Batches being applied, and the order keys they hold (counted: a key may be in one batch only, but split batches re-enter). */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly busy = new Map<string, number>();
  private readonly keys = new WeakMap<Held, string>();
  private wake: () => void = () => undefined;
  /** The loop waits for a linger to end: an arrival only wakes it when it fills a batch. */
  private lingering = false;
  private stopped = false;
  /** Aborted: deliveries still arriving are left to the channel close (returned to the queue). */
  private draining = false;
  private readonly consuming: Promise<void>;
  private markConsuming: () => void = () => undefined;

  constructor(
    private readonly broker: ConnectSource,
    private readonly odoo: ApplyTarget,
    private readonly opts: ApplierOptions,
  ) {
    this.queue = opts.queue ?? UPDATES_QUEUE;
    this.deadQueue = opts.deadQueue ?? UPDATES_DEAD_QUEUE;
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.consuming = new Promise<void>((r) => (this.markConsuming = r));
    opts.metrics.waitingSource = () => this.pending.length;
  }

  /** Resolves once the consumer is registered with RabbitMQ the first time. */
  ready(): Promise<void> {
    return this.consuming;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { log } = this.opts;
    this.broker.onConnect((model) => this.attach(model));
    // No basic.cancel on abort: on a quorum queue (seen on RabbitMQ 3.10) acks sent after the cancel for
    // deliveries of the cancelled consumer were partly returned to the queue, so the batches in flight
    // would not stay settled. Deliveries that arrive after the abort are ignored instead, and closing the
    // channel at the end returns them with everything else not settled.
    const onAbort = () => {
      this.draining = true;
      this.wake();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    log.info('applier started', { queue: this.queue, deadQueue: this.deadQueue, batchSize: this.opts.batchSize, lingerMs: this.opts.lingerMs, prefetch: this.opts.prefetch });
    try {
      const timing = { size: this.opts.batchSize, lingerMs: this.opts.lingerMs };
      const keyOf = (h: Held) => this.keyOf(h);
      while (!signal.aborted) {
        const plan = this.inFlight.size < (this.opts.concurrency ?? 1) ? planBatch(this.pending, Date.now(), timing, new Set(this.busy.keys()), keyOf) : ({ kind: 'idle' } as const);
        if (plan.kind === 'now') {
          this.pending = withoutBatch(this.pending, plan.batch);
          this.start(plan.batch, signal);
          continue;
        }
        this.lingering = plan.kind === 'wait' && plan.lingering;
        await new Promise<void>((resolve) => {
          const timer = plan.kind === 'wait' ? setTimeout(resolve, plan.ms) : undefined;
          this.wake = () => {
            if (timer) clearTimeout(timer);
            resolve();
          };
        });
        this.wake = () => undefined;
        this.lingering = false;
      }
      // Drain: the batches in flight are finished and settled.
      await Promise.allSettled(this.inFlight);
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.stopped = true;
      this.draining = true;
      await Promise.allSettled(this.settling);
      const ch = this.channel;
      this.channel = undefined;
      this.pending = [];
      // Closing returns every delivery not settled (pending, waiting for a retry) to the queue.
      // A round trip on the channel before closing it: without it the last acks, sent just before the
      // close, were sometimes not honoured (quorum queue, RabbitMQ 3.10: applied updates came back).
      if (ch) await ch.checkQueue(this.queue).catch(() => undefined);
      if (ch) await ch.close().catch(() => undefined);
      log.info('applier stopped');
    }
  }

  /** Opens the channel, declares both queues, consumes. Runs on every (re)connect. */
  private async attach(model: ChannelModel): Promise<void> {
    if (this.stopped || this.attachedTo === model) return;
    this.attachedTo = model;
    const { log } = this.opts;
    const ch = await model.createConfirmChannel();
    ch.on('error', (err: Error) => log.warn('applier channel error', { error: err.message }));
    ch.on('close', () => {
      if (this.channel !== ch) return;
      this.channel = undefined;
      // Unacked deliveries of a closed channel are RabbitMQ's again: it delivers them anew.
      const dropped = this.pending.length;
      this.pending = this.pending.filter((h) => h.ch !== ch);
      if (!this.stopped) log.warn('applier channel closed; RabbitMQ redelivers the unsettled updates after the reconnect', { dropped: dropped - this.pending.length });
    });
    await declareUpdatesQueue(ch, this.queue);
    await declareUpdatesQueue(ch, this.deadQueue);
    await ch.prefetch(this.opts.prefetch);
    if (this.stopped) {
      // The service stopped while this setup ran (a reconnect during shutdown): nothing to consume for.
      await ch.close().catch(() => undefined);
      return;
    }
    this.channel = ch;
    await ch.consume(this.queue, (msg) => this.onDelivery(ch, msg), { noAck: false });
    log.info('applier consuming', { queue: this.queue, prefetch: this.opts.prefetch });
    this.markConsuming();
  }

  private onDelivery(ch: ConfirmChannel, msg: ConsumeMessage | null): void {
    if (!msg) {
      this.opts.log.error('RabbitMQ cancelled the applier consumer (queue deleted?); reconnect the sidecar', { queue: this.queue });
      return;
    }
    if (this.draining) return;
    const decoded = decodeUpdate(msg.content);
    if (!decoded.ok) {
      this.opts.metrics.updates.inc({ outcome: 'invalid' });
      this.opts.log.warn('update fails the contract schema; dead-lettered, never sent to Odoo', { messageId: msg.properties.messageId, correlationId: msg.properties.correlationId, type: msg.properties.type, error: decoded.reason });
      this.track(this.deadLetter(ch, msg, 'schema', decoded.reason, 0, decoded.path));
      return;
    }
    this.pending.push({ msg, ch, update: decoded.update, readyAt: Date.now(), attempt: 0 });
    if (!this.lingering || this.pending.length >= this.opts.batchSize) this.wake();
  }

  private keyOf(h: Held): string {
    let key = this.keys.get(h);
    if (key === undefined) {
      key = orderKey(h.update);
      this.keys.set(h, key);
    }
    return key;
  }

  private start(batch: Held[], signal: AbortSignal): void {
    const keys = batch.map((h) => this.keyOf(h));
    for (const k of keys) this.busy.set(k, (this.busy.get(k) ?? 0) + 1);
    const done: Promise<void> = this.apply(batch, signal)
      .catch((err: unknown) => {
        this.opts.log.error('applying a batch failed unexpectedly; its updates stay unacked until the channel closes', { error: err instanceof Error ? err.message : String(err) });
      })
      .finally(() => {
        for (const k of keys) {
          const n = (this.busy.get(k) ?? 1) - 1;
          if (n > 0) this.busy.set(k, n);
          else this.busy.delete(k);
        }
        this.inFlight.delete(done);
        this.wake();
      });
    this.inFlight.add(done);
  }

  private track(p: Promise<void>): void {
    const tracked = p.finally(() => this.settling.delete(tracked));
    this.settling.add(tracked);
  }

  /** Sends one batch until Odoo answers it, then settles every delivery by its result. */
  private async apply(batch: Held[], signal: AbortSignal): Promise<void> {
    const { log, metrics } = this.opts;
    let live = batch.filter((h) => h.ch === this.channel);
    let failures = 0;
    let results: ApplyResult[];
    for (;;) {
      if (live.length === 0) return;
      const started = process.hrtime.bigint();
      try {
        // Not aborted mid-call: on shutdown the batch in flight is finished and settled.
        const raw = await this.odoo.executeKw(UPDATE_MODEL, 'apply_batch', [live.map((h) => h.update)], {}, { idempotent: true });
        results = parseApplyResults(live.map((h) => h.update.idempotency_key), raw);
        metrics.applyLatency.observe(Number(process.hrtime.bigint() - started) / 1e9);
        metrics.batchSize.observe(live.length);
        if (failures) log.info('Odoo applies updates again; applier resumes', { failedCalls: failures });
        break;
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        const failure = classifyBatchFailure(err);
        if (failure.kind === 'isolate') {
          metrics.batchFailures.inc({ why: 'isolate' });
          if (live.length === 1) {
            const only = live[0] as Held;
            log.error('Odoo raised on this update; dead-lettered', { messageId: only.msg.properties.messageId, type: only.update.type, error });
            await this.deadLetter(only.ch, only.msg, 'odoo-error', error, only.attempt);
            return;
          }
          log.warn('Odoo raised on a batch; splitting it to find the update that causes it', { size: live.length, error });
          const half = Math.ceil(live.length / 2);
          await this.apply(live.slice(0, half), signal);
          await this.apply(live.slice(half), signal);
          return;
        }
        failures++;
        metrics.batchFailures.inc({ why: failure.why });
        const delay = (this.opts.batchRetryDelay ?? batchRetryDelay)(failures, failure.why);
        log[failures === 1 || failure.why === 'auth' || failure.why === 'access' ? 'error' : 'warn'](WHY_MESSAGE[failure.why], { why: failure.why, size: live.length, failedCalls: failures, retryInMs: delay, error });
        if (signal.aborted) {
          log.warn('shutting down with an unapplied batch: left unacked, RabbitMQ delivers it again', { size: live.length });
          return;
        }
        await sleep(delay, signal).catch(() => undefined);
        if (signal.aborted) return;
        live = live.filter((h) => h.ch === this.channel);
      }
    }
    await this.settle(live, results);
  }

  private async settle(batch: Held[], results: ApplyResult[]): Promise<void> {
    const { log, metrics } = this.opts;
    const dead: Array<Promise<void>> = [];
    const retries: Held[] = [];
    let applied = 0;
    let duplicate = 0;
    const now = Date.now();
    batch.forEach((held, i) => {
      const outcome = outcomeOf(results[i] as ApplyResult, held.attempt, this.retry);
      switch (outcome.kind) {
        case 'ack':
          if (held.ch !== this.channel) return; // redelivered after the reconnect; Odoo answers duplicate then
          held.ch.ack(held.msg);
          if (outcome.status === 'applied') applied++;
          else duplicate++;
          return;
        case 'retry':
          metrics.updates.inc({ outcome: 'retried' });
          if (held.ch !== this.channel) return;
          held.attempt = outcome.attempt;
          held.readyAt = now + outcome.delayMs;
          retries.push(held);
          log.warn('Odoo asked to retry an update; held and sent again after a backoff', { messageId: held.msg.properties.messageId, correlationId: held.update.correlation_id, type: held.update.type, attempt: outcome.attempt, retryInMs: outcome.delayMs, reason: outcome.reason });
          return;
        case 'dead':
          if (outcome.stage === 'rejected') metrics.updates.inc({ outcome: 'rejected' });
          log.warn(outcome.stage === 'rejected' ? 'Odoo rejected an update; dead-lettered' : 'update still asks for a retry after the last attempt; dead-lettered', { messageId: held.msg.properties.messageId, correlationId: held.update.correlation_id, type: held.update.type, reason: outcome.reason });
          dead.push(this.deadLetter(held.ch, held.msg, outcome.stage, outcome.reason, held.attempt + (outcome.stage === 'retries' ? 1 : 0)));
          return;
      }
    });
    if (applied) metrics.updates.inc({ outcome: 'applied' }, applied);
    if (duplicate) metrics.updates.inc({ outcome: 'duplicate' }, duplicate);
    // Retries first in line once due, in their queue order, ahead of later arrivals.
    if (retries.length) {
      this.pending = [...retries, ...this.pending];
      this.wake();
    }
    await Promise.all(dead);
  }

  /**
   * Publishes the message to the dead-letter queue with its original properties and the reason, waits
   * for the broker's confirm, then acks the original. When the channel is gone meanwhile nothing is
   * acked: RabbitMQ delivers the original again.
   */
  private async deadLetter(ch: ConfirmChannel, msg: ConsumeMessage, stage: DeadStage, reason: string, attempts: number, path?: string): Promise<void> {
    if (ch !== this.channel) return;
    const p = msg.properties;
    const options: Options.Publish = {
      persistent: true,
      contentType: p.contentType as string | undefined,
      contentEncoding: p.contentEncoding as string | undefined,
      correlationId: p.correlationId as string | undefined,
      messageId: p.messageId as string | undefined,
      type: p.type as string | undefined,
      timestamp: p.timestamp as number | undefined,
      appId: p.appId as string | undefined,
      headers: {
        ...(p.headers ?? {}),
        [DEAD_HEADERS.reason]: reason.slice(0, 2000),
        [DEAD_HEADERS.stage]: stage,
        ...(path !== undefined ? { [DEAD_HEADERS.path]: path } : {}),
        [DEAD_HEADERS.attempts]: attempts,
        [DEAD_HEADERS.queue]: this.queue,
        [DEAD_HEADERS.at]: new Date().toISOString(),
      },
    };
    try {
      await new Promise<void>((resolve, reject) => {
        ch.publish('', this.deadQueue, msg.content, options, (err: unknown) => (err ? reject(err instanceof Error ? err : new Error('nacked')) : resolve()));
      });
      ch.ack(msg);
      this.opts.metrics.updates.inc({ outcome: 'dead' });
    } catch (err) {
      this.opts.log.warn('cannot dead-letter an update; left unacked, RabbitMQ delivers it again', { messageId: p.messageId, error: err instanceof Error ? err.message : String(err) });
    }
  }
}
