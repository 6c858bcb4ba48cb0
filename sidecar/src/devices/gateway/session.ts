import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import { parseAdapterMessage, type Family, type ParsedHello, type ParsedWorkAck } from '@logistics-bridge/contract';
import type { Logger } from '../../telemetry';
import { AnswerQueue, type Answer, type Outcome, type Pending } from './answers';
import { TokenBucket, type Authenticator, type Principal } from './auth';
import { GatewayError, InvalidArgument, PermissionDenied, statusName, toGatewayError, toGrpcStatus, Unauthenticated } from './errors';
import type { GatewayMetrics } from './metrics';
import type { BudgetMember, IngestBudget } from './budget';
import { PauseReasons, type PauseReason } from './pause';
import type { ReadGates } from './readgate';
import { authorise, derive, validate } from './pipeline';
import type { Undecodable } from './proto';
import type { StreamStateMap } from './state';
import type { UpdatePublisher } from './publisher';
import type { RelevanceFactory, RelevanceStream } from './relevance';

/** Requests arrive as their wire bytes (see `lazyService`); the session decodes them. */
export type DuplexCall = ServerDuplexStream<unknown, unknown>;
/** Decodes one request of the service (protobuf -> proto-loader object), or marks it Undecodable. */
export type RequestDecoder = (bytes: Buffer) => unknown;

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
  /** Bounded read-ahead of every call (readgate.ts); the session reports each message it takes. */
  reads: ReadGates;
  /** Last sequence answered (durable or finally rejected) per adapter + stream; the resume point. Bounded LRU. */
  resume: StreamStateMap<number>;
  buckets: Map<string, TokenBucket>;
  sessions: Map<string, StreamSession>;
  /** ERP-relevance state per adapter + stream, kept across reconnects. Bounded LRU. */
  streams: StreamStateMap<RelevanceStream>;
  /** Where a stream's `work_ack`s go (the work dispatcher, Flow 3); set by `DeviceGateway.onWorkAck`. */
  workAcks: { sink?: (session: StreamSession, ack: ParsedWorkAck) => void };
}

/**
 * One adapter stream: hello, then telemetry and updates answered strictly in sequence order (an Ack
 * or Reject for N is written only after everything before N was answered), acks only after the
 * broker confirmed. The jobs are split: the ingest steps are pipeline.ts, the order of answers and the
 * resume point answers.ts, why the stream is not reading pause.ts; this class is the I/O between them
 * and the call. Reading pauses while `maxInFlight` messages are unanswered, while the gateway-wide
 * budget is spent, or while the adapter does not read its acks, so HTTP/2 flow control pushes back on
 * the adapter instead of memory growing.
 */
export class StreamSession implements BudgetMember {
  private principal: Principal | undefined;
  private hello: ParsedHello | undefined;
  private key = '';
  private relevance: RelevanceStream | undefined;
  private bucket: TokenBucket | undefined;
  /** Set at the Hello; until then nothing but the Hello is read. */
  private answers: AnswerQueue | undefined;
  private readonly pause = new PauseReasons();
  /** A FlowControl PAUSE was sent and not followed by a RESUME yet. */
  private pausedHinted = false;
  private inBudget = false;
  private readonly m: SessionMetrics;
  private closed = false;
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
    this.call.on('data', (m: unknown) => this.onData(m));
    this.call.on('end', () => void this.onEnd());
    this.call.on('cancelled', () => this.cleanup());
    this.call.on('close', () => this.cleanup());
    this.call.on('error', () => this.cleanup());
  }

  /** Messages received and not answered yet. */
  get inFlight(): number {
    return this.answers?.inFlight ?? 0;
  }

  /** Stops reading, waits (bounded) until every received message is answered, then ends the call. */
  async drainAndEnd(err: GatewayError, timeoutMs: number): Promise<void> {
    this.setPaused('draining', true);
    await Promise.race([this.idle(), new Promise<void>((r) => setTimeout(r, timeoutMs).unref())]);
    this.end(err);
  }

  // ---- inbound -------------------------------------------------------------------------------------

  private onData(wire: unknown): void {
    if (this.closed) return;
    const receivedAt = performance.now();
    this.ctx.reads.taken(wire);
    const bytes = Buffer.isBuffer(wire) ? wire.length : 0;
    const raw = Buffer.isBuffer(wire) ? this.decode(wire) : wire;
    const answers = this.answers;
    if (!answers) {
      if (this.pause.has('hello')) return; // paused; grpc-js may still deliver what it had buffered
      this.setPaused('hello', true);
      this.onHello(raw).then(
        () => this.setPaused('hello', false),
        (err: unknown) => this.end(toGatewayError(err)),
      );
      return;
    }
    if (isUndecodable(raw)) {
      return this.settle(this.enqueue(answers, 0, receivedAt, bytes), { reject: new InvalidArgument(raw.path, raw.path ? raw.error : `cannot decode the message: ${raw.error}`) }, 'invalid');
    }
    const msg = raw as Record<string, unknown>;
    const kind = typeof msg.kind === 'string' ? msg.kind : '';
    this.m.messages(kind || 'unknown').inc();
    if (kind === 'work_ack') return this.onWorkAck(answers, msg, receivedAt, bytes);
    const valid = validate(this.family, msg);
    if ('error' in valid) return this.settle(this.enqueue(answers, answers.refusedSequence(valid.seq), receivedAt, bytes), { reject: valid.error });
    const seq = valid.envelope.sequence;
    const verdict = answers.check(seq);
    if (verdict.kind === 'replay') return this.settle(this.enqueue(answers, seq, receivedAt, bytes), { ack: { updates: 0, duplicate: true } });
    if (verdict.kind === 'out_of_order') {
      return this.settle(this.enqueue(answers, 0, receivedAt, bytes), { reject: new InvalidArgument(`${valid.kind}.envelope.sequence`, `must be greater than ${verdict.lastSeen}`) });
    }
    const pending = this.enqueue(answers, seq, receivedAt, bytes);
    let updates;
    try {
      authorise(this.principal as Principal, valid);
      this.bucket?.take(Date.now());
      if (valid.kind === 'telemetry') this.m.readings.inc(valid.telemetry.readings.length);
      updates = derive(valid, this.relevance as RelevanceStream, Date.now());
    } catch (err) {
      if (!(err instanceof GatewayError)) {
        this.log.error('relevance failed on a telemetry message', { adapterId: valid.envelope.adapterId, sequence: seq, error: err instanceof Error ? err.message : String(err) });
        return this.settle(pending, { reject: new GatewayError(status.INTERNAL, 'the gateway could not process this telemetry') });
      }
      return this.settle(pending, { reject: err });
    }
    if (updates.length === 0) return this.settle(pending, { ack: { updates: 0, duplicate: false } });
    const source = valid.kind === 'update' ? 'adapter' : 'telemetry';
    const eventTimeMs = valid.envelope.eventTimeMs;
    // An update from the adapter is about its message's size, counted already; updates derived from
    // telemetry can gather lines over many messages, so what they hold until confirmed is counted too.
    const derivedBytes = source === 'telemetry' ? updates.reduce((n, u) => n + JSON.stringify(u).length, 0) : 0;
    this.ctx.budget.take(derivedBytes, 0);
    const publishes = updates.map((u) =>
      this.ctx.publisher.publish(u, { sequence: seq, eventTimeMs }).then(() => this.ctx.metrics.updates.inc({ family: this.family, type: u.type, source })),
    );
    Promise.all(publishes).then(
      () => {
        this.ctx.budget.give(derivedBytes, 0);
        this.settle(pending, { ack: { updates: updates.length, duplicate: false } });
      },
      (err: unknown) => {
        this.ctx.budget.give(derivedBytes, 0);
        this.fail(pending, toGatewayError(err));
      },
    );
  }

  /** Flow 3: not sequenced, not answered unless malformed (a Reject with sequence 0 and the field path). */
  private onWorkAck(answers: AnswerQueue, msg: Record<string, unknown>, receivedAt: number, bytes: number): void {
    let parsed;
    try {
      parsed = parseAdapterMessage(this.family, msg);
    } catch (err) {
      return this.settle(this.enqueue(answers, 0, receivedAt, bytes), { reject: toGatewayError(err) }, 'invalid');
    }
    if (parsed.kind === 'work_ack') this.ctx.workAcks.sink?.(this, parsed.workAck);
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
    const resumeAfter = this.ctx.resume.get(this.key) ?? 0;
    this.answers = new AnswerQueue(resumeAfter);
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
    this.log.info('adapter stream connected', { adapterId: hello.adapterId, streamId: hello.streamId, family: this.family, resumeAfter, vendor: hello.vendor });
    this.write({
      hello_ack: {
        session_id: randomUUID(),
        resume_after_sequence: String(resumeAfter),
        max_in_flight: this.ctx.limits.maxInFlight,
        max_message_bytes: this.ctx.limits.maxMessageBytes,
        heartbeat_interval_ms: this.ctx.limits.heartbeatIntervalMs,
        rate_per_second: principal.ratePerSecond,
      },
    });
  }

  // ---- answers in order ----------------------------------------------------------------------------

  private enqueue(answers: AnswerQueue, seq: number, receivedAt: number, bytes: number): Pending {
    const p = answers.enqueue(seq, receivedAt, bytes);
    this.ctx.budget.take(bytes);
    if (answers.inFlight >= this.ctx.limits.maxInFlight) this.setPaused('full', true);
    return p;
  }

  private settle(p: Pending, outcome: Outcome, reason?: string): void {
    if ('reject' in outcome) this.ctx.metrics.rejects.inc({ family: this.family, reason: reason ?? statusName(outcome.reject.code).toLowerCase() });
    const answers = this.answers as AnswerQueue;
    const { answers: ready, released } = answers.settle(p, outcome);
    for (const r of released) this.ctx.budget.give(r.bytes);
    // After the call closed, answers are no longer written but confirms still move the resume point,
    // so a reconnect right after a cancel resumes exactly after what became durable. After a failure
    // (an update that could not be made durable) the resume point stays before it.
    const now = performance.now();
    for (const a of ready) {
      this.writeAnswer(a);
      this.m.ackLatency.observe((now - a.pending.receivedAt) / 1000);
    }
    if (answers.resume > (this.ctx.resume.get(this.key) ?? 0)) this.ctx.resume.set(this.key, answers.resume);
    if (answers.inFlight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
      if (this.closed && this.ctx.sessions.get(this.key) === this) this.ctx.sessions.delete(this.key);
    }
    if (this.pause.has('full') && answers.inFlight <= this.ctx.limits.maxInFlight / 2) this.setPaused('full', false);
  }

  private writeAnswer({ pending, outcome }: Answer): void {
    if ('ack' in outcome) {
      // uint64 fields as numbers (safe integers): protobufjs encodes those without parsing a string.
      this.write({ ack: { sequence: pending.seq, updates: outcome.ack.updates, duplicate: outcome.ack.duplicate, ack_time_ms: Date.now() } });
    } else {
      const e = outcome.reject;
      this.write({ reject: { sequence: pending.seq, code: e.code, status: statusName(e.code), field_path: e.fieldPath, message: e.message, retryable: e.retryable } });
    }
  }

  /** A broker failure: stop answering (the resume point stays before the failed message) and end the call. */
  private fail(p: Pending, err: GatewayError): void {
    const first = !(this.answers as AnswerQueue).hasFailed;
    this.settle(p, { lost: true });
    if (first && !this.closed) {
      this.ctx.metrics.rejects.inc({ family: this.family, reason: statusName(err.code).toLowerCase() });
      this.log.warn('ending adapter stream: an update could not be made durable', { adapterId: this.hello?.adapterId, streamId: this.hello?.streamId, error: err.message });
      this.end(err);
    }
  }

  private get failed(): boolean {
    return this.answers?.hasFailed ?? false;
  }

  private idle(): Promise<void> {
    if (this.inFlight === 0 || this.failed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** BudgetMember: the gateway-wide budget is spent; stop reading. */
  hold(): void {
    this.setPaused('budget', true);
  }

  /** BudgetMember: there is room again. */
  release(): void {
    this.setPaused('budget', false);
  }

  /** Adds or removes a pause reason; pauses or resumes the call (public stream API) when that changes. */
  private setPaused(reason: PauseReason, on: boolean): void {
    if (!this.pause.set(reason, on) && !(on && !this.pausedHinted && this.pause.hint())) return;
    if (this.closed) return;
    if (this.pause.paused) {
      this.call.pause();
      const hint = this.hello ? this.pause.hint() : undefined;
      if (hint && !this.pausedHinted) {
        this.pausedHinted = true;
        this.write({ flow_control: { action: 'ACTION_PAUSE', in_flight: this.inFlight, max_in_flight: this.ctx.limits.maxInFlight, reason: hint } });
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
    if (this.closed || !this.hello || this.pause.has('write')) return false;
    // Relevance learns which lines a robot order / expected scans carry, so completions can name them.
    this.relevance?.rememberWork(work as Parameters<RelevanceStream['rememberWork']>[0]);
    this.write({ work });
    return true;
  }

  /** After the Hello and before the call closed: work can be sent. */
  get open(): boolean {
    return !this.closed && this.hello !== undefined;
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
    if (!ok && !this.pause.has('write')) {
      // The adapter does not read its answers: stop reading its messages until it does.
      this.setPaused('write', true);
      this.call.once('drain', () => this.setPaused('write', false));
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
