import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import type { Logger } from '../../telemetry';
import type { ErpUpdate } from '../contract';
import { checkDevice, TokenBucket, type Authenticator, type Principal } from './auth';
import { GatewayError, InvalidArgument, PermissionDenied, statusName, toGatewayError, toGrpcStatus, Unauthenticated } from './errors';
import type { GatewayMetrics } from './metrics';
import type { Undecodable } from './proto';
import type { UpdatePublisher } from './publisher';
import type { TelemetryMsg } from '../relevance';
import type { RelevanceFactory, RelevanceStream } from './relevance';
import { parseAdapterMessage, peekSequence, type Family, type ParsedHello, type Telemetry } from './schemas';

export type DuplexCall = ServerDuplexStream<unknown, unknown>;

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
  /** Last sequence answered (durable or finally rejected) per adapter + stream; the resume point. */
  resume: Map<string, number>;
  buckets: Map<string, TokenBucket>;
  sessions: Map<string, StreamSession>;
  /** ERP-relevance state per adapter + stream, kept across reconnects. */
  streams: Map<string, RelevanceStream>;
}

type Outcome = { ack: { updates: number; duplicate: boolean } } | { reject: GatewayError };
interface Pending {
  seq: number;
  receivedAt: number;
  outcome?: Outcome;
}

/**
 * One adapter stream: hello, then telemetry and updates answered strictly in sequence order (an Ack
 * or Reject for N is written only after everything before N was answered), acks only after the
 * broker confirmed. Reading pauses while `maxInFlight` messages are unanswered or the adapter does not
 * read its acks, so HTTP/2 flow control pushes back on the adapter instead of memory growing.
 */
export class StreamSession {
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
  private closed = false;
  private failed = false;
  private idleWaiters: Array<() => void> = [];
  private readonly log: Logger;

  constructor(
    readonly family: Family,
    private readonly call: DuplexCall,
    private readonly ctx: GatewayContext,
  ) {
    this.log = ctx.log;
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
    return this.queue.length - this.head;
  }

  /** Stops reading, waits (bounded) until every received message is answered, then ends the call. */
  async drainAndEnd(err: GatewayError, timeoutMs: number): Promise<void> {
    this.setPaused(true);
    await Promise.race([this.idle(), new Promise<void>((r) => setTimeout(r, timeoutMs).unref())]);
    this.end(err);
  }

  // ---- inbound -------------------------------------------------------------------------------------

  private onData(raw: unknown): void {
    if (this.closed) return;
    const receivedAt = performance.now();
    if (!this.hello) {
      if (this.helloPending) return; // paused; grpc-js may still deliver what it had buffered
      this.helloPending = true;
      this.setPaused(true);
      this.onHello(raw).then(
        () => {
          this.helloPending = false;
          this.setPaused(false);
        },
        (err: unknown) => this.end(toGatewayError(err)),
      );
      return;
    }
    if (isUndecodable(raw)) return this.finish(this.enqueue(0, receivedAt), { reject: new InvalidArgument('', `cannot decode the message: ${raw.error}`) }, 'invalid');
    const kind = typeof (raw as { kind?: unknown }).kind === 'string' ? (raw as { kind: string }).kind : '';
    this.ctx.metrics.messages.inc({ family: this.family, kind: kind || 'unknown' });
    let parsed;
    try {
      parsed = parseAdapterMessage(this.family, raw);
      if (parsed.kind === 'hello') throw new InvalidArgument('hello', 'a stream has exactly one hello, its first message');
    } catch (err) {
      const seq = peekSequence(raw);
      const fresh = seq > this.lastSeen;
      if (fresh) this.lastSeen = seq;
      return this.finish(this.enqueue(fresh ? seq : 0, receivedAt), { reject: toGatewayError(err) });
    }
    const env = parsed.envelope;
    const seq = env.sequence;
    if (seq <= this.lastSeen) {
      if (seq <= this.resumeAtHello) return this.finish(this.enqueue(seq, receivedAt), { ack: { updates: 0, duplicate: true } });
      return this.finish(this.enqueue(0, receivedAt), { reject: new InvalidArgument(`${parsed.kind}.envelope.sequence`, `must be greater than ${this.lastSeen}`) });
    }
    this.lastSeen = seq;
    const pending = this.enqueue(seq, receivedAt);
    try {
      this.authorize(parsed.kind, env.adapterId, env.deviceId, parsed.kind === 'telemetry' ? parsed.telemetry : undefined);
      this.bucket?.take(Date.now());
    } catch (err) {
      return this.finish(pending, { reject: toGatewayError(err) });
    }
    let updates: ErpUpdate[];
    if (parsed.kind === 'update') {
      updates = [parsed.update];
    } else {
      this.ctx.metrics.readings.inc({ family: this.family }, parsed.telemetry.telemetry.readings.length);
      try {
        // The relevance module reads the validated wire shape (proto-loader object), not the parsed one.
        updates = this.relevance?.ingest((raw as { telemetry: TelemetryMsg }).telemetry, Date.now()) ?? [];
      } catch (err) {
        this.log.error('relevance failed on a telemetry message', { adapterId: env.adapterId, sequence: seq, error: err instanceof Error ? err.message : String(err) });
        return this.finish(pending, { reject: new GatewayError(status.INTERNAL, 'the gateway could not process this telemetry') });
      }
    }
    if (updates.length === 0) return this.finish(pending, { ack: { updates: 0, duplicate: false } });
    const source = parsed.kind === 'update' ? 'adapter' : 'telemetry';
    const publishes = updates.map((u) =>
      this.ctx.publisher.publish(u, { sequence: seq, eventTimeMs: env.eventTimeMs }).then(() => this.ctx.metrics.updates.inc({ family: this.family, type: u.type, source })),
    );
    Promise.all(publishes).then(
      () => this.finish(pending, { ack: { updates: updates.length, duplicate: false } }),
      (err: unknown) => this.fail(toGatewayError(err)),
    );
  }

  private async onHello(raw: unknown): Promise<void> {
    const principal = this.principal as Principal;
    if (isUndecodable(raw) || (raw as { kind?: unknown }).kind !== 'hello') {
      throw new GatewayError(status.FAILED_PRECONDITION, 'the first message of a stream must be a Hello');
    }
    this.ctx.metrics.messages.inc({ family: this.family, kind: 'hello' });
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
    if (!relevance) {
      relevance = this.ctx.relevance({ family: this.family, adapterId: hello.adapterId, streamId: hello.streamId });
      this.ctx.streams.set(this.key, relevance);
    }
    this.relevance = relevance;
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

  private authorize(kind: string, adapterId: string, deviceId: string, telemetry: Telemetry | undefined): void {
    const principal = this.principal as Principal;
    if (adapterId !== principal.adapterId) throw new PermissionDenied(`envelope.adapter_id must be ${principal.adapterId}`, `${kind}.envelope.adapter_id`);
    checkDevice(principal, deviceId, `${kind}.envelope.device_id`);
    if (!telemetry) return;
    telemetry.telemetry.readings.forEach((r, i) => {
      let id = '';
      let field = '';
      if (r.reading === 'heartbeat') [id, field] = [r.heartbeat.device_id, 'heartbeat.device_id'];
      else if (r.reading === 'state') [id, field] = [r.state.robot_id, 'state.robot_id'];
      else if (r.reading === 'scan') [id, field] = [r.scan.device_id, 'scan.device_id'];
      else if (r.reading === 'event') [id, field] = [r.event.device_id, 'event.device_id'];
      if (id && id !== deviceId) checkDevice(principal, id, `telemetry.readings[${i}].${field}`);
    });
  }

  // ---- answers in order ----------------------------------------------------------------------------

  private enqueue(seq: number, receivedAt: number): Pending {
    const p: Pending = { seq, receivedAt };
    this.queue.push(p);
    if (this.inFlight >= this.ctx.limits.maxInFlight) this.setPaused(true);
    return p;
  }

  private finish(p: Pending, outcome: Outcome, reason?: string): void {
    p.outcome = outcome;
    if ('reject' in outcome) this.ctx.metrics.rejects.inc({ family: this.family, reason: reason ?? statusName(outcome.reject.code).toLowerCase() });
    this.flush();
  }

  private flush(): void {
    // After the call closed, answers are no longer written but confirms still move the resume point,
    // so a reconnect right after a cancel resumes exactly after what became durable.
    if (this.failed) return;
    const now = performance.now();
    let lastAnswered = 0;
    while (this.head < this.queue.length) {
      const p = this.queue[this.head] as Pending;
      if (!p.outcome) break;
      this.head++;
      if (this.closed) {
        // not written
      } else if ('ack' in p.outcome) {
        this.write({ ack: { sequence: String(p.seq), updates: p.outcome.ack.updates, duplicate: p.outcome.ack.duplicate, ack_time_ms: String(Date.now()) } });
      } else {
        const e = p.outcome.reject;
        this.write({ reject: { sequence: String(p.seq), code: e.code, status: statusName(e.code), field_path: e.fieldPath, message: e.message, retryable: e.retryable } });
      }
      this.ctx.metrics.ackLatency.observe({ family: this.family }, (now - p.receivedAt) / 1000);
      if (p.seq > lastAnswered) lastAnswered = p.seq;
    }
    if (lastAnswered > 0 && lastAnswered > (this.ctx.resume.get(this.key) ?? 0)) this.ctx.resume.set(this.key, lastAnswered);
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
    if (this.paused && !this.helloPending && !this.writeBlocked && this.inFlight <= this.ctx.limits.maxInFlight / 2) this.setPaused(false);
  }

  /** A broker failure: stop answering (the resume point stays before the failed message) and end the call. */
  private fail(err: GatewayError): void {
    if (this.failed || this.closed) return;
    this.failed = true;
    this.ctx.metrics.rejects.inc({ family: this.family, reason: statusName(err.code).toLowerCase() });
    this.log.warn('ending adapter stream: an update could not be made durable', { adapterId: this.hello?.adapterId, streamId: this.hello?.streamId, error: err.message });
    this.end(err);
  }

  private idle(): Promise<void> {
    if (this.inFlight === 0 || this.failed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private setPaused(paused: boolean): void {
    if (paused === this.paused || this.closed) return;
    this.paused = paused;
    if (paused) {
      this.call.pause();
      if (this.hello && !this.writeBlocked && !this.pausedHinted) {
        this.pausedHinted = true;
        this.write({ flow_control: { action: 'ACTION_PAUSE', in_flight: this.inFlight, max_in_flight: this.ctx.limits.maxInFlight, reason: 'too many unconfirmed messages' } });
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
      this.setPaused(true);
      this.call.once('drain', () => {
        this.writeBlocked = false;
        this.flush();
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
