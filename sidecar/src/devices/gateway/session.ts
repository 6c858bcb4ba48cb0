import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import type { Logger } from '../../telemetry';
import type { ErpUpdate } from '../contract';
import { checkDevice, TokenBucket, type Authenticator, type Principal } from './auth';
import { GatewayError, InvalidArgument, PermissionDenied, statusName, toGatewayError, toGrpcStatus, Unauthenticated } from './errors';
import type { GatewayMetrics } from './metrics';
import type { BudgetMember, IngestBudget } from './budget';
import { fastTelemetryEnvelope } from './fastpath';
import type { Undecodable } from './proto';
import type { StreamStateMap } from './state';
import type { UpdatePublisher } from './publisher';
import type { TelemetryMsg } from '../relevance';
import type { RelevanceFactory, RelevanceStream } from './relevance';
import { parseAdapterMessage, peekSequence, type Family, type ParsedEnvelope, type ParsedHello } from './schemas';

/** Requests arrive as their wire bytes (see `lazyService`); the session decodes them. */
export type DuplexCall = ServerDuplexStream<unknown, unknown>;
/** Decodes one request of the service (protobuf -> proto-loader object), or marks it Undecodable. */
export type RequestDecoder = (bytes: Buffer) => unknown;

/** The device ids a reading names, in the wire shape (and in the shape zod returns, which keeps them). */
interface ReadingIds {
  reading?: unknown;
  heartbeat?: { device_id?: unknown } | null;
  state?: { robot_id?: unknown } | null;
  scan?: { device_id?: unknown } | null;
  event?: { device_id?: unknown } | null;
}

/**
 * Messages grpc-js may decode ahead of the session per stream (its Readable buffer); the grpc-js default
 * is 16. Fewer keeps what a paused stream holds small; they are wire bytes, not decoded objects.
 */
const READ_AHEAD = 2;

export interface SessionLimits {
  /** Messages received and not yet answered per stream; above it the stream stops reading. */
  maxInFlight: number;
  maxMessageBytes: number;
  heartbeatIntervalMs: number;
}

/** What all sessions of one gateway share. */
export interface GatewayContext {
  auth: Authenticator;
  publisher: UpdatePublisher;
  relevance: RelevanceFactory;
  metrics: GatewayMetrics;
  limits: SessionLimits;
  log: Logger;
  /** Gateway-wide bytes / messages held unanswered; spending it pauses every stream. */
  budget: IngestBudget;
  /** Last sequence answered (durable or finally rejected) per adapter + stream; the resume point. Bounded LRU. */
  resume: StreamStateMap<number>;
  buckets: Map<string, TokenBucket>;
  sessions: Map<string, StreamSession>;
  /** ERP-relevance state per adapter + stream, kept across reconnects. Bounded LRU. */
  streams: StreamStateMap<RelevanceStream>;
}

/** `lost`: the update could not be made durable and the call ends; its sequence is never answered. */
type Outcome = { ack: { updates: number; duplicate: boolean } } | { reject: GatewayError } | { lost: true };
interface Pending {
  seq: number;
  receivedAt: number;
  /** Wire bytes, counted in the gateway budget until answered. */
  bytes: number;
  outcome?: Outcome;
}

/**
 * One adapter stream: hello, then telemetry and updates answered strictly in sequence order (an Ack
 * or Reject for N is written only after everything before N was answered), acks only after the
 * broker confirmed. Reading pauses while `maxInFlight` messages are unanswered, while the gateway-wide
 * budget is spent, or while the adapter does not read its acks, so HTTP/2 flow control pushes back on
 * the adapter instead of memory growing.
 */
export class StreamSession implements BudgetMember {
  private principal: Principal | undefined;
  private hello: ParsedHello | undefined;
  private key = '';
  private relevance: RelevanceStream | undefined;
  private bucket: TokenBucket | undefined;
  private readonly queue: Pending[] = [];
  private head = 0;
  private lastSeen = 0;
  private resumeAtHello = 0;
  private paused = false;
  private pausedHinted = false;
  private writeBlocked = false;
  private helloPending = false;
  /** Per-stream in-flight limit reached; cleared at half of it. */
  private full = false;
  /** The gateway-wide budget is spent. */
  private budgetHeld = false;
  /** Shutting down or replaced: never reads again. */
  private draining = false;
  private inBudget = false;
  private readonly m: SessionMetrics;
  private closed = false;
  private failed = false;
  private idleWaiters: Array<() => void> = [];
  private readonly log: Logger;

  constructor(
    readonly family: Family,
    private readonly call: DuplexCall,
    private readonly ctx: GatewayContext,
    private readonly decode: RequestDecoder,
  ) {
    this.log = ctx.log;
    this.m = sessionMetrics(ctx.metrics, family);
  }

  start(): void {
    try {
      this.principal = this.ctx.auth.authenticate(this.call.metadata.get('authorization'));
    } catch (err) {
      return this.end(toGatewayError(err));
    }
    const rs = (this.call as unknown as { _readableState?: { highWaterMark?: number } })._readableState;
    if (rs && typeof rs.highWaterMark === 'number') rs.highWaterMark = READ_AHEAD;
    this.call.on('data', (m: unknown) => this.onData(m));
    this.call.on('end', () => void this.onEnd());
    this.call.on('cancelled', () => this.cleanup());
    this.call.on('close', () => this.cleanup());
    this.call.on('error', () => this.cleanup());
  }

  /** Messages received and not answered yet. */
  get inFlight(): number {
    return this.queue.length - this.head;
  }

  /** Stops reading, waits (bounded) until every received message is answered, then ends the call. */
  async drainAndEnd(err: GatewayError, timeoutMs: number): Promise<void> {
    this.draining = true;
    this.updatePaused();
    await Promise.race([this.idle(), new Promise<void>((r) => setTimeout(r, timeoutMs).unref())]);
    this.end(err);
  }

  // ---- inbound -------------------------------------------------------------------------------------

  private onData(wire: unknown): void {
    if (this.closed) return;
    const receivedAt = performance.now();
    const bytes = Buffer.isBuffer(wire) ? wire.length : 0;
    const raw = Buffer.isBuffer(wire) ? this.decode(wire) : wire;
    if (!this.hello) {
      if (this.helloPending) return; // paused; grpc-js may still deliver what it had buffered
      this.helloPending = true;
      this.updatePaused();
      this.onHello(raw).then(
        () => {
          this.helloPending = false;
          this.updatePaused();
        },
        (err: unknown) => this.end(toGatewayError(err)),
      );
      return;
    }
    if (isUndecodable(raw)) return this.finish(this.enqueue(0, receivedAt, bytes), { reject: new InvalidArgument('', `cannot decode the message: ${raw.error}`) }, 'invalid');
    const msg = raw as Record<string, unknown>;
    const kind = typeof msg.kind === 'string' ? msg.kind : '';
    this.m.messages(kind || 'unknown').inc();
    let env: ParsedEnvelope;
    let readings: readonly ReadingIds[] | undefined;
    let update: ErpUpdate | undefined;
    // The common valid telemetry takes the hand-written fast path; anything it is not sure of goes
    // through the zod schemas, which accept it or name the bad field.
    const fast = kind === 'telemetry' ? fastTelemetryEnvelope(this.family, msg) : undefined;
    if (fast) {
      env = fast;
      readings = (msg.telemetry as { readings: ReadingIds[] }).readings;
    } else {
      try {
        const parsed = parseAdapterMessage(this.family, raw);
        if (parsed.kind === 'hello') throw new InvalidArgument('hello', 'a stream has exactly one hello, its first message');
        env = parsed.envelope;
        if (parsed.kind === 'telemetry') readings = parsed.telemetry.telemetry.readings;
        else update = parsed.update;
      } catch (err) {
        const seq = peekSequence(raw);
        const fresh = seq > this.lastSeen;
        if (fresh) this.lastSeen = seq;
        return this.finish(this.enqueue(fresh ? seq : 0, receivedAt, bytes), { reject: toGatewayError(err) });
      }
    }
    const seq = env.sequence;
    if (seq <= this.lastSeen) {
      if (seq <= this.resumeAtHello) return this.finish(this.enqueue(seq, receivedAt, bytes), { ack: { updates: 0, duplicate: true } });
      return this.finish(this.enqueue(0, receivedAt, bytes), { reject: new InvalidArgument(`${kind}.envelope.sequence`, `must be greater than ${this.lastSeen}`) });
    }
    this.lastSeen = seq;
    const pending = this.enqueue(seq, receivedAt, bytes);
    try {
      this.authorize(kind, env.adapterId, env.deviceId, readings);
      this.bucket?.take(Date.now());
    } catch (err) {
      return this.finish(pending, { reject: toGatewayError(err) });
    }
    let updates: ErpUpdate[];
    if (update) {
      updates = [update];
    } else {
      this.m.readings.inc(readings?.length ?? 0);
      try {
        // The relevance module reads the validated wire shape (proto-loader object), not the parsed one.
        updates = this.relevance?.ingest((msg as { telemetry: TelemetryMsg }).telemetry, Date.now()) ?? [];
      } catch (err) {
        this.log.error('relevance failed on a telemetry message', { adapterId: env.adapterId, sequence: seq, error: err instanceof Error ? err.message : String(err) });
        return this.finish(pending, { reject: new GatewayError(status.INTERNAL, 'the gateway could not process this telemetry') });
      }
    }
    if (updates.length === 0) return this.finish(pending, { ack: { updates: 0, duplicate: false } });
    const source = update ? 'adapter' : 'telemetry';
    const eventTimeMs = env.eventTimeMs;
    const publishes = updates.map((u) =>
      this.ctx.publisher.publish(u, { sequence: seq, eventTimeMs }).then(() => this.ctx.metrics.updates.inc({ family: this.family, type: u.type, source })),
    );
    Promise.all(publishes).then(
      () => this.finish(pending, { ack: { updates: updates.length, duplicate: false } }),
      (err: unknown) => this.fail(pending, toGatewayError(err)),
    );
  }

  private async onHello(raw: unknown): Promise<void> {
    const principal = this.principal as Principal;
    if (isUndecodable(raw) || (raw as { kind?: unknown }).kind !== 'hello') {
      throw new GatewayError(status.FAILED_PRECONDITION, 'the first message of a stream must be a Hello');
    }
    this.m.messages('hello').inc();
    const parsed = parseAdapterMessage(this.family, raw);
    if (parsed.kind !== 'hello') throw new GatewayError(status.FAILED_PRECONDITION, 'the first message of a stream must be a Hello');
    const hello = parsed.hello;
    if (hello.adapterId !== principal.adapterId) throw new Unauthenticated('the token does not belong to hello.adapter_id');
    if (hello.family !== this.family) throw new PermissionDenied(`hello.family is ${hello.family} but this is the ${this.family} service`, 'hello.family');
    if (principal.family && principal.family !== this.family) throw new PermissionDenied(`adapter ${principal.adapterId} is registered for the ${principal.family} family`, 'hello.family');
    this.key = `${hello.adapterId}\u0000${hello.streamId}`;
    const previous = this.ctx.sessions.get(this.key);
    this.ctx.sessions.set(this.key, this);
    if (previous && previous !== this) {
      await previous.drainAndEnd(new GatewayError(status.ABORTED, 'replaced by a newer connection of the same adapter stream'), 10_000);
    }
    if (this.closed) return;
    this.hello = hello;
    this.resumeAtHello = this.ctx.resume.get(this.key) ?? 0;
    this.lastSeen = this.resumeAtHello;
    let bucket = this.ctx.buckets.get(principal.adapterId);
    if (!bucket) {
      bucket = new TokenBucket(principal.ratePerSecond);
      this.ctx.buckets.set(principal.adapterId, bucket);
    }
    this.bucket = bucket;
    let relevance = this.ctx.streams.get(this.key);
    if (!relevance) relevance = this.ctx.relevance({ family: this.family, adapterId: hello.adapterId, streamId: hello.streamId });
    this.ctx.streams.set(this.key, relevance); // most recently used; never evicted while connected
    this.ctx.resume.touch(this.key);
    this.relevance = relevance;
    this.inBudget = true;
    this.ctx.budget.join(this);
    this.ctx.metrics.streams.inc({ family: this.family });
    this.log.info('adapter stream connected', { adapterId: hello.adapterId, streamId: hello.streamId, family: this.family, resumeAfter: this.resumeAtHello, vendor: hello.vendor });
    this.write({
      hello_ack: {
        session_id: randomUUID(),
        resume_after_sequence: String(this.resumeAtHello),
        max_in_flight: this.ctx.limits.maxInFlight,
        max_message_bytes: this.ctx.limits.maxMessageBytes,
        heartbeat_interval_ms: this.ctx.limits.heartbeatIntervalMs,
        rate_per_second: principal.ratePerSecond,
      },
    });
  }

  private authorize(kind: string, adapterId: string, deviceId: string, readings: readonly ReadingIds[] | undefined): void {
    const principal = this.principal as Principal;
    if (adapterId !== principal.adapterId) throw new PermissionDenied(`envelope.adapter_id must be ${principal.adapterId}`, `${kind}.envelope.adapter_id`);
    checkDevice(principal, deviceId, `${kind}.envelope.device_id`);
    if (!readings) return;
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i] as ReadingIds;
      let id: unknown;
      let field = '';
      if (r.reading === 'heartbeat') {
        id = r.heartbeat?.device_id;
        field = 'heartbeat.device_id';
      } else if (r.reading === 'state') id = r.state?.robot_id;
      else if (r.reading === 'scan') id = r.scan?.device_id;
      else if (r.reading === 'event') id = r.event?.device_id;
      if (typeof id === 'string' && id && id !== deviceId && !principal.allows(id)) {
        if (!field) field = r.reading === 'state' ? 'state.robot_id' : `${String(r.reading)}.device_id`;
        checkDevice(principal, id, `telemetry.readings[${i}].${field}`);
      }
    }
  }

  // ---- answers in order ----------------------------------------------------------------------------

  private enqueue(seq: number, receivedAt: number, bytes: number): Pending {
    const p: Pending = { seq, receivedAt, bytes };
    this.queue.push(p);
    this.ctx.budget.take(bytes);
    if (!this.full && this.inFlight >= this.ctx.limits.maxInFlight) {
      this.full = true;
      this.updatePaused();
    }
    return p;
  }

  private finish(p: Pending, outcome: Outcome, reason?: string): void {
    p.outcome = outcome;
    if ('reject' in outcome) this.ctx.metrics.rejects.inc({ family: this.family, reason: reason ?? statusName(outcome.reject.code).toLowerCase() });
    this.flush();
  }

  private flush(): void {
    // After the call closed, answers are no longer written but confirms still move the resume point,
    // so a reconnect right after a cancel resumes exactly after what became durable. After a failure
    // (an update that could not be made durable) the resume point stays before it: later outcomes only
    // give their budget back.
    const now = performance.now();
    let lastAnswered = 0;
    while (this.head < this.queue.length) {
      const p = this.queue[this.head] as Pending;
      const o = p.outcome;
      if (!o) break;
      this.head++;
      this.ctx.budget.give(p.bytes);
      if (this.failed || 'lost' in o) continue;
      if (this.closed) {
        // not written
      } else if ('ack' in o) {
        // uint64 fields as numbers (safe integers): protobufjs encodes those without parsing a string.
        this.write({ ack: { sequence: p.seq, updates: o.ack.updates, duplicate: o.ack.duplicate, ack_time_ms: Date.now() } });
      } else {
        const e = o.reject;
        this.write({ reject: { sequence: p.seq, code: e.code, status: statusName(e.code), field_path: e.fieldPath, message: e.message, retryable: e.retryable } });
      }
      this.m.ackLatency.observe((now - p.receivedAt) / 1000);
      if (p.seq > lastAnswered) lastAnswered = p.seq;
    }
    if (lastAnswered > 0 && !this.failed && lastAnswered > (this.ctx.resume.get(this.key) ?? 0)) this.ctx.resume.set(this.key, lastAnswered);
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.inFlight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
      if (this.closed && this.ctx.sessions.get(this.key) === this) this.ctx.sessions.delete(this.key);
    }
    if (this.full && this.inFlight <= this.ctx.limits.maxInFlight / 2) {
      this.full = false;
      this.updatePaused();
    }
  }

  /** A broker failure: stop answering (the resume point stays before the failed message) and end the call. */
  private fail(p: Pending, err: GatewayError): void {
    p.outcome = { lost: true };
    if (!this.failed && !this.closed) {
      this.failed = true;
      this.ctx.metrics.rejects.inc({ family: this.family, reason: statusName(err.code).toLowerCase() });
      this.log.warn('ending adapter stream: an update could not be made durable', { adapterId: this.hello?.adapterId, streamId: this.hello?.streamId, error: err.message });
      this.end(err);
    } else if (!this.failed) {
      // Closed by the adapter meanwhile: the resume point must not move past the lost update either.
      this.failed = true;
    }
    this.flush();
  }

  private idle(): Promise<void> {
    if (this.inFlight === 0 || this.failed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** BudgetMember: the gateway-wide budget is spent; stop reading. */
  hold(): void {
    this.budgetHeld = true;
    this.updatePaused();
  }

  /** BudgetMember: there is room again. */
  release(): void {
    this.budgetHeld = false;
    this.updatePaused();
  }

  /** Reads while nothing holds the stream; hints the adapter when the hold is about its own pace. */
  private updatePaused(): void {
    const paused = this.helloPending || this.writeBlocked || this.draining || this.full || this.budgetHeld;
    if (paused === this.paused || this.closed) return;
    this.paused = paused;
    if (paused) {
      this.call.pause();
      if (this.hello && !this.writeBlocked && !this.draining && !this.pausedHinted) {
        this.pausedHinted = true;
        const reason = this.full ? 'too many unconfirmed messages on this stream' : 'gateway buffer budget spent (broker confirms slow)';
        this.write({ flow_control: { action: 'ACTION_PAUSE', in_flight: this.inFlight, max_in_flight: this.ctx.limits.maxInFlight, reason } });
      }
    } else {
      this.call.resume();
      if (this.pausedHinted) {
        this.pausedHinted = false;
        this.write({ flow_control: { action: 'ACTION_RESUME', in_flight: this.inFlight, max_in_flight: this.ctx.limits.maxInFlight, reason: '' } });
      }
    }
  }

  /** Sends work (Flow 3) to the adapter; false when the stream is closed or congested. */
  sendWork(work: Record<string, unknown>): boolean {
    if (this.closed || !this.hello || this.writeBlocked) return false;
    // Relevance learns which lines a robot order / expected scans carry, so completions can name them.
    this.relevance?.rememberWork(work as Parameters<RelevanceStream['rememberWork']>[0]);
    this.write({ work });
    return true;
  }

  /** adapter id + NUL + stream id, once the hello was accepted. */
  get streamKey(): string {
    return this.key;
  }

  get capabilities(): readonly string[] {
    return this.hello?.capabilities ?? [];
  }

  /** Warehouse code from the Hello ('' when not given). */
  get warehouse(): string {
    return this.hello?.warehouse ?? '';
  }

  private write(msg: Record<string, unknown>): void {
    if (this.closed) return;
    const ok = this.call.write(msg);
    if (!ok && !this.writeBlocked) {
      // The adapter does not read its answers: stop reading its messages until it does.
      this.writeBlocked = true;
      this.updatePaused();
      this.call.once('drain', () => {
        this.writeBlocked = false;
        this.flush();
        this.updatePaused();
      });
    }
  }

  // ---- ending --------------------------------------------------------------------------------------

  private async onEnd(): Promise<void> {
    await this.idle();
    if (!this.closed) {
      this.cleanup();
      this.call.end();
    }
  }

  private end(err: GatewayError): void {
    if (this.closed) return;
    if (err.code === status.UNAUTHENTICATED || err.code === status.PERMISSION_DENIED) {
      this.ctx.metrics.rejects.inc({ family: this.family, reason: statusName(err.code).toLowerCase() });
    }
    this.cleanup();
    this.call.emit('error', toGrpcStatus(err));
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.inBudget) this.ctx.budget.leave(this);
    if (this.failed) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
    if (this.hello) {
      this.ctx.metrics.streams.dec({ family: this.family });
      // Kept while publishes are in flight, so a reconnect waits for them before reading the resume point.
      if (this.ctx.sessions.get(this.key) === this && (this.inFlight === 0 || this.failed)) this.ctx.sessions.delete(this.key);
      this.log.info('adapter stream closed', { adapterId: this.hello.adapterId, streamId: this.hello.streamId, family: this.family });
    }
  }
}

function isUndecodable(raw: unknown): raw is Undecodable {
  return typeof raw === 'object' && raw !== null && (raw as { kind?: unknown }).kind === '__undecodable';
}

/** Metric children of one family, looked up once per session instead of per message. */
interface SessionMetrics {
  messages(kind: string): { inc(n?: number): void };
  readings: { inc(n?: number): void };
  ackLatency: { observe(v: number): void };
}

function sessionMetrics(metrics: GatewayMetrics, family: Family): SessionMetrics {
  const byKind = new Map<string, { inc(n?: number): void }>();
  return {
    messages(kind) {
      let c = byKind.get(kind);
      if (!c) byKind.set(kind, (c = metrics.messages.labels({ family, kind })));
      return c;
    },
    readings: metrics.readings.labels({ family }),
    ackLatency: metrics.ackLatency.labels({ family }),
  };
}
