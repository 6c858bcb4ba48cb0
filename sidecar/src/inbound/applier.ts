import { ACK, Consumer, DEAD_LETTER_HEADERS, deadLetter, deadLetterId, REQUEUE, UPDATES_DEAD_QUEUE, UPDATES_QUEUE, updatesQueue, type ConsumerSource, type Delivery, type Outcome } from '../broker';
import type { ErpUpdate } from '@logistics-bridge/contract';
import type { Service } from '../lifecycle';
import type { CallOptions } from '../odoo';
import { sleep } from '../retry';
import type { Logger } from '../telemetry';
import type { DeadRecord } from './dead-record';
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

export const UPDATE_MODEL = 'logistics.bridge.update';

/** Headers a dead-lettered message carries on top of its original properties (docs/applier.md). */
export const DEAD_HEADERS = {
  ...DEAD_LETTER_HEADERS,
  attempts: 'x-apply-attempts',
} as const;

/** What the applier needs from Odoo (OdooClient). */
export interface ApplyTarget {
  executeKw(model: string, method: string, args: unknown[], kwargs?: Record<string, unknown>, options?: CallOptions): Promise<unknown>;
}

/** What the applier needs from RabbitMQ: the Broker's recovering connection (`broker.model`). */
export interface ConnectSource {
  model: ConsumerSource;
}

export interface ApplierOptions {
  /** Queue consumed; tests and benchmarks use their own name. Default `logistics.updates`; its dead letters go to `<queue>.dead`. */
  queue?: string;
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
  /** Told of every update once its dead copy is confirmed in `<queue>.dead` (DeadLetterRecorder: Odoo's dead-letter list). */
  recorder?: { add(record: DeadRecord): void };
}

/** One delivery the applier holds unacked. */
interface Held {
  delivery: Delivery;
  /** Answers the consumer helper: the delivery's outcome. */
  settle: (outcome: Outcome) => void;
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
  private readonly consumer: Consumer;
  private pending: Held[] = [];
  /** Batches being applied, and the order keys they hold (counted: a key may be in one batch only, but split batches re-enter). */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly busy = new Map<string, number>();
  private readonly keys = new WeakMap<Held, string>();
  /** Dead-letter outcomes given and not yet confirmed, with what the recorder is told once they are. */
  private readonly deadRecords = new WeakMap<Outcome, DeadRecord>();
  private wake: () => void = () => undefined;
  /** The loop waits for a linger to end: an arrival only wakes it when it fills a batch. */
  private lingering = false;
  private readonly consuming: Promise<void>;
  private markConsuming: () => void = () => undefined;

  constructor(
    broker: ConnectSource,
    private readonly odoo: ApplyTarget,
    private readonly opts: ApplierOptions,
  ) {
    const spec = updatesQueue(opts.queue ?? UPDATES_QUEUE);
    this.queue = spec.name;
    this.deadQueue = spec.deadLetter?.name ?? UPDATES_DEAD_QUEUE;
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.consuming = new Promise<void>((r) => (this.markConsuming = r));
    opts.metrics.waitingSource = () => this.pending.length;
    this.consumer = new Consumer(broker.model, (d) => this.onDelivery(d), {
      queue: spec,
      prefetch: opts.prefetch,
      log: opts.log,
      onConsuming: () => this.markConsuming(),
      onChannelLost: () => this.forgetLost(),
      onSettled: (outcome, done) => {
        if (outcome.kind !== 'dead-letter' || !done) return;
        opts.metrics.updates.inc({ outcome: 'dead' });
        const record = this.deadRecords.get(outcome);
        if (record) opts.recorder?.add(record);
      },
    });
  }

  /** Resolves once the consumer is registered with RabbitMQ the first time. */
  ready(): Promise<void> {
    return this.consuming;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { log } = this.opts;
    // On abort the consumer helper hands no new delivery over and waits for every delivery it handed
    // over to be settled: the batches in flight are finished and settled, the rest is requeued below.
    const consuming = this.consumer.run(signal);
    const onAbort = () => this.wake();
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
      // Not yet in a batch (new, or waiting for a retry): back to the queue, as a close would return them.
      const left = this.pending;
      this.pending = [];
      for (const h of left) h.settle(REQUEUE);
      await consuming;
      log.info('applier stopped');
    }
  }

  /** The channel of the deliveries held is gone: RabbitMQ delivers them again once the consumer is back. */
  private forgetLost(): void {
    const before = this.pending.length;
    this.pending = this.pending.filter((h) => !h.delivery.lost.aborted);
    this.opts.log.warn('applier channel closed; RabbitMQ redelivers the unsettled updates after the reconnect', { dropped: before - this.pending.length });
  }

  private onDelivery(delivery: Delivery): Outcome | Promise<Outcome> {
    const decoded = decodeUpdate(delivery.content);
    const p = delivery.properties;
    if (!decoded.ok) {
      this.opts.metrics.updates.inc({ outcome: 'invalid' });
      this.opts.log.warn('update fails the contract schema; dead-lettered, never sent to Odoo', { messageId: p.messageId, correlationId: p.correlationId, type: p.type, error: decoded.reason });
      return this.deadLetter(delivery, 'schema', decoded.reason, 0, decoded.path);
    }
    return new Promise<Outcome>((settle) => {
      this.pending.push({ delivery, settle, update: decoded.update, readyAt: Date.now(), attempt: 0 });
      if (!this.lingering || this.pending.length >= this.opts.batchSize) this.wake();
    });
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
        this.opts.log.error('applying a batch failed unexpectedly; its updates are requeued', { error: err instanceof Error ? err.message : String(err) });
        for (const h of batch) h.settle(REQUEUE); // a delivery settled before keeps its first outcome
      })
      .finally(() => {
        // Shutting down with a batch Odoo did not answer: back to the queue (outcomes already given stay).
        if (signal.aborted) for (const h of batch) h.settle(REQUEUE);
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

  /** Sends one batch until Odoo answers it, then settles every delivery by its result. */
  private async apply(batch: Held[], signal: AbortSignal): Promise<void> {
    const { log, metrics } = this.opts;
    let live = batch.filter((h) => !h.delivery.lost.aborted);
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
            log.error('Odoo raised on this update; dead-lettered', { messageId: only.delivery.properties.messageId, type: only.update.type, error });
            only.settle(this.deadLetter(only.delivery, 'odoo-error', error, only.attempt));
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
          log.warn('shutting down with an unapplied batch: requeued, RabbitMQ delivers it again', { size: live.length });
          return;
        }
        await sleep(delay, signal).catch(() => undefined);
        if (signal.aborted) return;
        live = live.filter((h) => !h.delivery.lost.aborted);
      }
    }
    this.settle(live, results);
  }

  private settle(batch: Held[], results: ApplyResult[]): void {
    const { log, metrics } = this.opts;
    const retries: Held[] = [];
    let applied = 0;
    let duplicate = 0;
    const now = Date.now();
    batch.forEach((held, i) => {
      const outcome = outcomeOf(results[i] as ApplyResult, held.attempt, this.retry);
      switch (outcome.kind) {
        case 'ack':
          // A delivery whose channel is gone meanwhile comes again; Odoo answers duplicate then.
          held.settle(ACK);
          if (outcome.status === 'applied') applied++;
          else duplicate++;
          return;
        case 'retry':
          metrics.updates.inc({ outcome: 'retried' });
          if (held.delivery.lost.aborted) return;
          held.attempt = outcome.attempt;
          held.readyAt = now + outcome.delayMs;
          retries.push(held);
          log.warn('Odoo asked to retry an update; held and sent again after a backoff', { messageId: held.delivery.properties.messageId, correlationId: held.update.correlation_id, type: held.update.type, attempt: outcome.attempt, retryInMs: outcome.delayMs, reason: outcome.reason });
          return;
        case 'dead':
          if (outcome.stage === 'rejected') metrics.updates.inc({ outcome: 'rejected' });
          log.warn(outcome.stage === 'rejected' ? 'Odoo rejected an update; dead-lettered' : 'update still asks for a retry after the last attempt; dead-lettered', { messageId: held.delivery.properties.messageId, correlationId: held.update.correlation_id, type: held.update.type, reason: outcome.reason });
          held.settle(this.deadLetter(held.delivery, outcome.stage, outcome.reason, held.attempt + (outcome.stage === 'retries' ? 1 : 0)));
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
  }

  /**
   * The dead-letter outcome (docs/applier.md): the consumer helper publishes a copy with its original
   * properties and these headers to `<queue>.dead` through the broker's confirm publisher, waits for the
   * confirm, then acks the original. When the channel is gone meanwhile nothing is acked: RabbitMQ
   * delivers the original again.
   */
  private deadLetter(delivery: Delivery, stage: DeadStage, reason: string, attempts: number, path?: string): Outcome {
    const outcome = deadLetter(reason, { [DEAD_HEADERS.stage]: stage, ...(path !== undefined ? { [DEAD_HEADERS.path]: path } : {}), [DEAD_HEADERS.attempts]: attempts });
    if (this.opts.recorder) {
      const body = delivery.content.toString('utf8');
      this.deadRecords.set(outcome, { id: deadLetterId(delivery.content, delivery.properties), stage, reason, ...(path !== undefined ? { path } : {}), body, at: new Date().toISOString() });
    }
    return outcome;
  }
}
