import { PublishError, type PublishRequest } from '../broker';
import type { Service } from '../lifecycle';
import { backoffDelay, sleep } from '../retry';
import type { Logger } from '../telemetry';
import type { AckResult, ClaimResult, Failure, MalformedRow, OutboxEvent } from './event';
import { buildMessage, type MessageOptions } from './message';
import { deferred, type Membership } from './membership';
import type { RelayMetrics } from './metrics';
import { planWaves, splitBlocked } from './ordering';
import { describeFailure, failureKind, retryDelay, type FailureKind } from './policy';
import { checkPayload } from './schemas';
import type { OutboxSource } from './source';

/** What the relay needs from the broker side (ConfirmPublisher in production). */
export interface RelayPublisher {
  ready(signal?: AbortSignal): Promise<void>;
  publish(req: PublishRequest, signal?: AbortSignal): Promise<void>;
}

export interface RelayOptions {
  workerId: string;
  batchSize: number;
  leaseSeconds: number;
  /** Claimed batches being published at once; the next claim overlaps the current batch's confirms. */
  maxBatchesInFlight: number;
  appId: string;
  log: Logger;
  metrics: RelayMetrics;
  exchange?: string;
  /** relay_wait long-poll when idle (Odoo caps it at 25 s). */
  waitTimeoutSeconds?: number;
  /** How often outbox lag and counts are read for the metrics; 0 disables. */
  statsIntervalMs?: number;
  /** Attempts for ack / nack / release after the broker answered; after that the leases expire. */
  settleAttempts?: number;
  /**
   * Claim calls made concurrently while there is a backlog (SKIP LOCKED lets them take disjoint rows;
   * Odoo keeps the per-aggregate order across them). Only the first one long-polls when idle.
   */
  claimers?: number;
  /**
   * Confirmed ids ride on the next claim (`relay_claim(ack_ids=...)`: one Odoo call and transaction
   * for "ack N, claim N+1"); if no claim takes them within this time they are acked on their own.
   */
  ackLingerMs?: number;
  /** Delay after a failed loop iteration; the policy in policy.ts unless a test pins it. */
  retryDelay?: (consecutiveFailures: number, kind: FailureKind) => number;
  /**
   * The relay registry (membership.ts): claims only while this process holds its worker id, which
   * frees a dead predecessor's claims at start and lets peers free this relay's claims if it dies.
   */
  membership?: Membership;
}

/**
 * The outbox relay: claim a batch, publish it through the confirm window, ack the confirmed ids to
 * Odoo, nack the failures, release what was not sent. The next claim is made while the current batch
 * is in flight. When nothing is claimable it long-polls `relay_wait` (a NOTIFY wakes it) instead of
 * polling. On abort: no new claims, publishes not yet sent are released, the ones on the wire are
 * awaited and acked.
 */
export class Relay implements Service {
  readonly name = 'outbox-relay';
  /** Batches being published (bounded by maxBatchesInFlight). */
  private readonly inFlight = new Set<Promise<void>>();
  /** Batches whose outcome is being reported to Odoo (ack / nack / release); not counted in the window. */
  private readonly settling = new Set<Promise<void>>();
  /** Resolved (and replaced) whenever a claim finds work: wakes the idle follower claimers. */
  private workSeen = deferred();
  /** Confirmed batches waiting for their ack (the next claim carries them, else the linger timer). */
  private ackQueue: PendingAck[] = [];
  private ackTimer: NodeJS.Timeout | undefined;

  private readonly messageOptions: MessageOptions;

  constructor(
    private readonly source: OutboxSource,
    private readonly publisher: RelayPublisher,
    private readonly opts: RelayOptions,
  ) {
    this.messageOptions = { appId: opts.appId, exchange: opts.exchange };
  }

  async run(signal: AbortSignal): Promise<void> {
    const stats = this.statsLoop(signal);
    const membership = this.opts.membership?.run(signal);
    const wakeFollowers = () => this.workSeen.resolve();
    signal.addEventListener('abort', wakeFollowers, { once: true });
    try {
      const claimers = Math.max(1, this.opts.claimers ?? 1);
      await Promise.all(Array.from({ length: claimers }, (_, i) => this.loop(signal, i === 0)));
    } finally {
      signal.removeEventListener('abort', wakeFollowers);
      await Promise.allSettled(this.inFlight);
      this.flushAcks();
      await Promise.allSettled(this.settling);
      await stats;
      await membership;
      await this.opts.membership?.leave();
      this.opts.log.info('relay stopped', { workerId: this.opts.workerId });
    }
  }

  private async loop(signal: AbortSignal, leader: boolean): Promise<void> {
    const { log, metrics, workerId } = this.opts;
    let afterId = 0;
    let consecutiveFailures = 0;
    let emptyWakes = 0;
    let failing: string | undefined;
    if (leader) log.info('relay started', { workerId, batchSize: this.opts.batchSize, batchesInFlight: this.opts.maxBatchesInFlight, claimers: this.opts.claimers ?? 1 });
    while (!signal.aborted) {
      let stage = 'claim';
      try {
        while (this.inFlight.size >= this.opts.maxBatchesInFlight) await Promise.race(this.inFlight);
        stage = 'register';
        await this.opts.membership?.admitted(signal);
        // Leasing rows while the broker is down would only age them: wait for a channel first.
        stage = 'broker';
        await this.publisher.ready(signal);
        stage = 'claim';
        // Not aborted mid-call: rows Odoo already leased to us must be known, to be released below.
        const { events, malformed } = await this.claim();
        if (failing) log.info(`${failing === 'broker' ? 'RabbitMQ' : 'Odoo'} reachable again; relay resumes`, { after: failing });
        failing = undefined;
        consecutiveFailures = 0;
        if (signal.aborted) {
          await this.settle('release', () => this.source.release(workerId, [...events, ...malformed].map((e) => e.id)));
          break;
        }
        if (events.length + malformed.length > 0) {
          emptyWakes = 0;
          this.track(this.processBatch(events, malformed, signal));
          const seen = this.workSeen;
          this.workSeen = deferred();
          seen.resolve();
          continue;
        }
        // Acks free their aggregates' next events: claim again, carrying them.
        if (this.ackQueue.length) continue;
        if (this.inFlight.size + this.settling.size > 0) {
          // Acks of the batches in flight unblock their aggregates' next events (without a NOTIFY):
          // claim again after them rather than long-polling.
          await Promise.race([...this.inFlight, ...this.settling]);
          continue;
        }
        if (!leader) {
          await this.workSeen.promise;
          continue;
        }
        stage = 'wait';
        const answer = await this.source.wait(afterId, this.opts.waitTimeoutSeconds ?? 20, signal);
        // `ready` with nothing new since the last look means claimable work another relay takes first:
        // back off a little instead of spinning on claim/wait.
        emptyWakes = answer.ready && answer.max_id <= afterId ? emptyWakes + 1 : 0;
        afterId = Math.max(afterId, answer.max_id);
        if (emptyWakes > 1) await sleep(Math.min(2_000, 25 * 2 ** emptyWakes), signal);
      } catch (err) {
        if (signal.aborted) break;
        const kind = stage === 'broker' ? 'broker' : failureKind(err);
        metrics.errors.inc({ stage, kind });
        const delay = kind === 'broker' ? backoffDelay(consecutiveFailures, { baseMs: 200, maxMs: 10_000 }) : (this.opts.retryDelay ?? retryDelay)(consecutiveFailures, kind);
        consecutiveFailures++;
        failing = stage;
        const message = kind === 'broker' ? 'RabbitMQ unavailable; retrying' : describeFailure(kind, stage);
        log[consecutiveFailures === 1 || kind === 'auth' ? 'error' : 'warn'](message, { stage, kind, error: err instanceof Error ? err.message : String(err), retryInMs: delay });
        await sleep(delay, signal).catch(() => undefined);
      }
    }
  }

  private track(batch: Promise<void>): void {
    const tracked: Promise<void> = batch
      .catch((err: unknown) => {
        this.opts.log.error('batch failed unexpectedly; its leases will expire', { error: err instanceof Error ? err.message : String(err) });
      })
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Publishes one claimed batch, then reports every event's outcome to Odoo in the background. */
  private async processBatch(events: OutboxEvent[], malformed: MalformedRow[], signal: AbortSignal): Promise<void> {
    const { log, metrics, workerId } = this.opts;
    metrics.claimed.inc(events.length + malformed.length);
    const failures: Failure[] = [];
    const failedAggregates = new Set<string>();
    for (const row of malformed) {
      failures.push({ id: row.id, error: row.error, permanent: true });
      metrics.nacked.inc({ reason: 'malformed' });
      log.error('malformed outbox row; nacked as permanent', { outboxId: row.id, error: row.error });
    }
    const valid: OutboxEvent[] = [];
    for (const event of events) {
      const check = checkPayload(event.event_type, event.schema_version, event.payload);
      if (check.ok) {
        valid.push(event);
        continue;
      }
      failures.push({ id: event.id, error: check.error, permanent: true });
      failedAggregates.add(event.aggregate_key);
      metrics.nacked.inc({ reason: 'schema' });
      log.error('event fails its schema: not published, dead in Odoo; its aggregate waits until an admin resolves it', {
        eventId: event.uuid,
        correlationId: event.correlation_id,
        outboxId: event.id,
        eventType: event.event_type,
        aggregateKey: event.aggregate_key,
        error: check.error,
      });
    }

    const confirmed: number[] = [];
    const release: number[] = [];
    // Winston formats a line before its transport drops it by level: per-event debug lines only when wanted.
    const debug = log.isDebugEnabled();
    // Counted per batch and event type, not per event (a labelled counter looks its labels up each time).
    const publishedByType = new Map<string, number>();
    for (const wave of planWaves(valid)) {
      const { go, blocked } = splitBlocked(wave, failedAggregates);
      for (const e of blocked) release.push(e.id);
      const outcomes = await Promise.allSettled(go.map((e) => this.publishOne(e, signal, debug)));
      outcomes.forEach((outcome, i) => {
        const event = go[i] as OutboxEvent;
        if (outcome.status === 'fulfilled') {
          confirmed.push(event.id);
          publishedByType.set(event.event_type, (publishedByType.get(event.event_type) ?? 0) + 1);
          return;
        }
        failedAggregates.add(event.aggregate_key);
        const err: unknown = outcome.reason;
        if (err instanceof PublishError && err.kind === 'nacked') {
          failures.push({ id: event.id, error: err.message });
          metrics.nacked.inc({ reason: 'broker' });
          log.warn('RabbitMQ refused the event; nacked for a retry', { eventId: event.uuid, correlationId: event.correlation_id, outboxId: event.id });
        } else {
          // Never sent (shutdown) or the connection died before the confirm: hand it back without
          // counting an attempt; it is published again (consumers dedupe on messageId).
          release.push(event.id);
          if (debug) log.debug('event not confirmed; released', { eventId: event.uuid, correlationId: event.correlation_id, reason: err instanceof Error ? err.message : String(err) });
        }
      });
    }

    for (const [type, n] of publishedByType) metrics.published.inc({ type }, n);

    // Reported in the background: the window slot is free as soon as the broker has answered, so the
    // next claim overlaps these calls.
    const settled: Promise<void> = Promise.all([
      confirmed.length ? this.queueAck(confirmed) : undefined,
      failures.length ? this.settle('nack', () => this.nack(failures)) : undefined,
      release.length ? this.settle('release', () => this.release(release)) : undefined,
    ]).then(() => {
      this.settling.delete(settled);
      log.debug('batch done', { workerId, claimed: events.length + malformed.length, published: confirmed.length, failed: failures.length, released: release.length });
    });
    this.settling.add(settled);
  }

  private async publishOne(event: OutboxEvent, signal: AbortSignal, debug: boolean): Promise<void> {
    const message = buildMessage(event, this.messageOptions);
    await this.publisher.publish(message, signal);
    const created = Date.parse(event.created_at);
    if (Number.isFinite(created)) this.opts.metrics.commitToConfirm.observe(Math.max(0, (Date.now() - created) / 1000));
    if (debug) this.opts.log.debug('event published', { eventId: event.uuid, correlationId: event.correlation_id, outboxId: event.id, eventType: event.event_type });
  }

  /** Claims a batch, acking the queued confirmed ids in the same call. */
  private async claim(): Promise<ClaimResult> {
    const acks = this.takeAcks();
    const ids = acks.flatMap((a) => a.ids);
    let res: ClaimResult;
    try {
      res = await this.source.claim(this.opts.workerId, this.opts.batchSize, this.opts.leaseSeconds, ids);
    } catch (err) {
      // The acks may or may not have been made (Odoo rolls them back with a failed claim; a lost
      // answer leaves them made): ack again on their own, which is harmless either way.
      if (acks.length) this.sendAcks(acks, true);
      throw err;
    }
    if (acks.length) {
      this.recordAcks(res, false);
      for (const a of acks) a.done();
    }
    return res;
  }

  private queueAck(ids: number[]): Promise<void> {
    return new Promise((resolve) => {
      this.ackQueue.push({ ids, done: resolve });
      this.ackTimer ??= setTimeout(() => {
        this.ackTimer = undefined;
        this.flushAcks();
      }, this.opts.ackLingerMs ?? 500);
    });
  }

  private takeAcks(): PendingAck[] {
    const acks = this.ackQueue;
    this.ackQueue = [];
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    return acks;
  }

  /** Acks the queued ids on their own (no claim is coming soon: idle, shutting down). */
  private flushAcks(): void {
    const acks = this.takeAcks();
    if (acks.length) this.sendAcks(acks, false);
  }

  private sendAcks(acks: PendingAck[], afterFailedClaim: boolean): void {
    const ids = acks.flatMap((a) => a.ids);
    void this.settle('ack', async () => this.recordAcks(await this.source.ack(this.opts.workerId, ids), afterFailedClaim)).then(() => {
      for (const a of acks) a.done();
    });
  }

  private recordAcks(res: Pick<AckResult, 'acked' | 'refused'>, afterFailedClaim: boolean): void {
    this.opts.metrics.acked.inc(res.acked.length);
    if (!res.refused.length) return;
    if (afterFailedClaim) {
      this.opts.log.info('acks re-sent after a failed claim were refused: the claim had made them, or the leases expired', { outboxIds: res.refused.slice(0, 50), count: res.refused.length });
      return;
    }
    this.opts.log.warn('Odoo refused acks: the leases expired and the events may be published twice (consumers dedupe on messageId)', { outboxIds: res.refused.slice(0, 50), count: res.refused.length });
  }

  private async nack(failures: Failure[]): Promise<void> {
    const res = await this.source.nack(this.opts.workerId, failures);
    this.opts.metrics.dead.inc(res.dead.length);
    if (res.dead.length) this.opts.log.error('events are dead in Odoo (see Logistics Bridge > Outbox); their aggregates wait', { outboxIds: res.dead.slice(0, 50), count: res.dead.length });
  }

  private async release(ids: number[]): Promise<void> {
    const res = await this.source.release(this.opts.workerId, ids);
    this.opts.metrics.released.inc(res.released.length);
  }

  /**
   * Reports an outcome to Odoo with a few retries, on purpose without the abort signal: on shutdown
   * the confirmed events must still be acked. When it keeps failing the leases expire and the events
   * are published again (at least once).
   */
  private async settle(stage: 'ack' | 'nack' | 'release', call: () => Promise<unknown>): Promise<void> {
    const attempts = this.opts.settleAttempts ?? 5;
    for (let attempt = 0; ; attempt++) {
      try {
        await call();
        return;
      } catch (err) {
        const kind = failureKind(err);
        this.opts.metrics.errors.inc({ stage, kind });
        if (attempt + 1 >= attempts) {
          this.opts.log.error(`cannot ${stage} to Odoo; the leases will expire and the events be handled again`, { kind, error: err instanceof Error ? err.message : String(err) });
          return;
        }
        await sleep(backoffDelay(attempt, { baseMs: 200, maxMs: 5_000 }));
      }
    }
  }

  private async statsLoop(signal: AbortSignal): Promise<void> {
    const interval = this.opts.statsIntervalMs ?? 15_000;
    if (interval <= 0) return;
    while (!signal.aborted) {
      try {
        const s = await this.source.stats(signal);
        this.opts.metrics.lag.set(s.oldest_pending_age_s ?? 0);
        for (const state of ['pending', 'claimed', 'published', 'dead'] as const) this.opts.metrics.outbox.set({ state }, s[state]);
        for (const [rule, open] of Object.entries(s.sla_breaches ?? {})) {
          this.opts.metrics.slaBreaches.set({ rule }, open.count);
          this.opts.metrics.slaOldest.set({ rule }, open.oldest_age_s ?? 0);
        }
      } catch (err) {
        if (signal.aborted) return;
        this.opts.metrics.errors.inc({ stage: 'stats', kind: failureKind(err) });
      }
      await sleep(interval, signal).catch(() => undefined);
    }
  }
}

interface PendingAck {
  ids: number[];
  done(): void;
}
