import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  ChannelCredentials,
  Client,
  Metadata,
  credentials,
  status,
  type ClientDuplexStream,
  type MethodDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { backoffDelay, loadServices, PROTO_ROOT, SERVICE_NAMES, type BackoffPolicy, type DeviceErpPayloads as UpdatePayloads, type DeviceUpdateType as UpdateType, type Family } from '@logistics-bridge/contract';
import { envelopeMessage, FAMILY_ENUM, toNumber, updatePayloadMessage } from './convert';
import { Journal, type JournalOptions, type RecoveryNote } from './journal';
import { Outbox } from './outbox';
import { readingTime, type Reading, type Work } from './readings';

/** The protos the contract package carries; `protoRoot` in ConnectOptions points elsewhere (a newer contract, say). */
export const DEFAULT_PROTO_ROOT = PROTO_ROOT;

export interface TlsOptions {
  /** PEM of the CA that signed the gateway's certificate (default: the system roots). */
  rootCerts?: Buffer;
  /** Client certificate and key, when the gateway requires mutual TLS. */
  privateKey?: Buffer;
  certChain?: Buffer;
}

export interface ConnectOptions {
  /** host:port of the gateway. */
  address: string;
  /** The adapter's bearer token (from the bridge's configuration). */
  token: string;
  family: Family;
  adapterId: string;
  /**
   * Identity of this stream for sequence numbers and resume; default: adapterId. One live stream per id.
   * In durable mode a random suffix per process start is added (`<streamId>.<8 hex>`), see the README.
   */
  streamId?: string;
  /** true for TLS with system roots, or certificates; default plaintext (development only). */
  tls?: boolean | TlsOptions;
  hello?: { vendor?: string; model?: string; softwareVersion?: string; capabilities?: string[]; warehouse?: string };
  /** Messages kept until acknowledged (default 1000); `send*` waits while it is full. Memory mode only. */
  bufferSize?: number;
  /**
   * Durable mode: the send buffer lives in this directory on disk instead (bounded by `maxBytes`, default
   * 64 MiB, which also bounds its copy in memory). `send*` resolves once the message is fsync'd there and
   * waits while the journal is full; after a restart with the same directory (and adapterId / streamId)
   * what the gateway had not answered is sent again, in order, with its idempotency key.
   */
  journal?: JournalOptions;
  /** `sendReading` batches readings per device up to `maxReadings`, waiting at most `lingerMs` (default 50 / 20 ms). */
  batch?: { maxReadings: number; lingerMs: number };
  /** Reconnect delays: exponential with jitter between half and all of min(maxMs, baseMs·2^attempt) (default 250 ms / 15 s). */
  backoff?: BackoffPolicy;
  /** Aborting it closes the connection without flushing. */
  signal?: AbortSignal;
  protoRoot?: string;
  /** Pace sends below the rate the gateway advertises in HelloAck (default true). */
  paceToGatewayRate?: boolean;
  /** Extra grpc-js channel options. */
  channelOptions?: Record<string, string | number>;
}

export interface SendOptions {
  correlationId?: string;
  /** When it happened at the device; default: the first reading's time, or now. */
  eventTimeMs?: number;
}

export interface UpdateOptions extends SendOptions {
  /** REQUIRED: the same business event always carries the same key (1..200 of [A-Za-z0-9._:/-]). */
  idempotencyKey: string;
}

export interface AckInfo {
  sequence: number;
  updates: number;
  duplicate: boolean;
}

export interface RejectInfo {
  sequence: number;
  code: number;
  status: string;
  fieldPath: string;
  message: string;
  retryable: boolean;
  /** What was refused (undefined when the gateway could not read a sequence). */
  refused?: OutgoingMessage;
}

export interface HelloAckInfo {
  sessionId: string;
  resumeAfterSequence: number;
  maxInFlight: number;
  maxMessageBytes: number;
  heartbeatIntervalMs: number;
  ratePerSecond: number;
}

export type OutgoingMessage =
  | { kind: 'telemetry'; deviceId: string; readings: Reading[]; correlationId: string; eventTimeMs: number }
  | { kind: 'update'; deviceId: string; type: UpdateType; payload: UpdatePayloads[UpdateType]; idempotencyKey: string; correlationId: string; eventTimeMs: number };

export interface AdapterEvents {
  connected: [HelloAckInfo];
  disconnected: [{ code: number; details: string; reconnectInMs: number }];
  ack: [AckInfo];
  reject: [RejectInfo];
  work: [Work];
  flow: [{ action: string; inFlight: number; maxInFlight: number; reason: string }];
  /** A fatal error (wrong token, family not allowed): the client stops reconnecting. */
  error: [Error];
  /** Durable mode, at start: how many unanswered messages the journal held, and any torn tail it cut. */
  journal: [{ restored: number; recovered: RecoveryNote[] }];
}

const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 15_000 };

/** Statuses that a reconnect cannot fix: configuration problems for a person. */
const FATAL = new Set<number>([status.UNAUTHENTICATED, status.PERMISSION_DENIED, status.FAILED_PRECONDITION, status.INVALID_ARGUMENT]);

export class AdapterClient extends EventEmitter<AdapterEvents> {
  readonly streamId: string;
  private readonly outbox: Outbox<OutgoingMessage>;
  /** Durable mode: the journal, once opened and its unanswered messages are back in the outbox. */
  private readonly journalReady: Promise<Journal<OutgoingMessage> | undefined>;
  private journal: Journal<OutgoingMessage> | undefined;
  private readonly client: Client;
  private readonly method: MethodDefinition<unknown, unknown>;
  private call: ClientDuplexStream<unknown, unknown> | undefined;
  private connected = false;
  private paused = false;
  private writeBlocked = false;
  private retryAt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private maxInFlight = 64;
  /** Client-side pacing to the rate the gateway advertised, so the adapter is not rate-limited by rejects. */
  private pace: Pacer | undefined;
  private closing = false;
  private closed = false;
  private fatal: Error | undefined;
  private spaceWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private drainWaiters: Array<() => void> = [];
  private readyWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private readonly batches = new Map<string, { readings: Reading[]; timer: NodeJS.Timeout; correlationId: string }>();
  private readonly workQueue: Work[] = [];
  private workWaiter: ((w: Work | undefined) => void) | undefined;
  private workIterating = false;
  private readonly workLimit = 256;
  /** Counters for the adapter's own monitoring. */
  readonly stats = { sent: 0, acked: 0, rejected: 0, retried: 0, duplicates: 0, reconnects: 0 };

  constructor(private readonly options: ConnectOptions) {
    super();
    // Durable mode: each process start opens a stream of its own. Restored messages get new sequence
    // numbers, and on the old stream's numbering a message the killed process still had in flight could
    // become durable after the new stream's HelloAck and make the gateway answer a different restored
    // message "duplicate" (lost). On a fresh stream nothing is taken for a replay by number: a message the
    // old process made durable goes again under its idempotency key, and Odoo's inbox dedupes it.
    const base = options.streamId || options.adapterId;
    this.streamId = options.journal ? `${base}.${randomBytes(4).toString('hex')}` : base;
    // In durable mode the journal's byte bound is the buffer's bound.
    this.outbox = new Outbox(options.journal ? Number.POSITIVE_INFINITY : (options.bufferSize ?? 1000));
    this.journalReady = options.journal ? this.openJournal(options.journal) : Promise.resolve(undefined);
    // Surfaced by start() and send*; without this an adapter that never calls them would crash the process.
    this.journalReady.catch(() => undefined);
    const service = loadServices(options.protoRoot ?? DEFAULT_PROTO_ROOT)[options.family];
    if (!service.Connect) throw new Error(`service ${SERVICE_NAMES[options.family]} has no Connect method in the protos`);
    this.method = service.Connect as MethodDefinition<unknown, unknown>;
    this.client = new Client(options.address, channelCredentials(options.tls), {
      'grpc.keepalive_time_ms': 20_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
      ...options.channelOptions,
    });
    options.signal?.addEventListener('abort', () => this.shutdown(), { once: true });
  }

  /**
   * Starts the stream; resolves at the first HelloAck, rejects on a fatal status, an abort or a journal
   * that cannot be opened. `send*` may be called before it resolves (the gateway may be down for hours).
   */
  async start(): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    await this.journalReady;
    this.open();
    return ready;
  }

  /** Bytes of the journal on disk (durable mode; 0 in memory mode). */
  get journalBytes(): number {
    return this.journal?.bytes ?? 0;
  }

  /** Messages waiting for an acknowledgement (buffered or in flight). */
  get pending(): number {
    return this.outbox.size;
  }

  /** Highest sequence the gateway acknowledged. */
  get lastAckedSequence(): number {
    return this.outbox.acked;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** One telemetry message with these readings. Resolves once buffered; waits while the buffer is full. */
  async sendTelemetry(deviceId: string, readings: Reading[], opts: SendOptions = {}): Promise<void> {
    if (readings.length === 0) return;
    const first = readings[0] as Reading;
    await this.enqueue({ kind: 'telemetry', deviceId, readings, correlationId: opts.correlationId ?? '', eventTimeMs: opts.eventTimeMs ?? readingTime(first) ?? Date.now() });
  }

  /**
   * One reading, batched with others of the same device (and correlation id) into one telemetry
   * message: the cheap way to stream 10 Hz state of many robots.
   */
  async sendReading(deviceId: string, reading: Reading, opts: Pick<SendOptions, 'correlationId'> = {}): Promise<void> {
    const { maxReadings, lingerMs } = this.options.batch ?? { maxReadings: 50, lingerMs: 20 };
    const correlationId = opts.correlationId ?? '';
    const key = `${deviceId}\u0000${correlationId}`;
    let batch = this.batches.get(key);
    if (!batch) {
      const timer = setTimeout(() => {
        this.flushBatch(key, deviceId).catch(() => undefined);
      }, lingerMs);
      batch = { readings: [], timer, correlationId };
      this.batches.set(key, batch);
    }
    batch.readings.push(reading);
    if (batch.readings.length >= maxReadings) await this.flushBatch(key, deviceId);
  }

  /** An ERP update the adapter derived itself. Resolves once buffered; waits while the buffer is full. */
  async sendUpdate<T extends UpdateType>(deviceId: string, type: T, payload: UpdatePayloads[T], opts: UpdateOptions): Promise<void> {
    if (!opts.idempotencyKey) throw new TypeError('sendUpdate needs an idempotencyKey');
    await this.enqueue({ kind: 'update', deviceId, type, payload, idempotencyKey: opts.idempotencyKey, correlationId: opts.correlationId ?? '', eventTimeMs: opts.eventTimeMs ?? Date.now() });
  }

  /** Resolves when every message sent so far is acknowledged (or finally rejected). */
  async flush(timeoutMs = 30_000): Promise<void> {
    await Promise.all([...this.batches.entries()].map(([key, b]) => this.flushBatch(key, key.slice(0, key.indexOf('\u0000')), b)));
    if (this.outbox.size === 0) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`flush timed out with ${this.outbox.size} messages unacknowledged`)), timeoutMs);
      this.drainWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Answers work (or a withdrawal) the gateway sent (Flow 3): `accepted` once the adapter holds it
   * durably (or removed it), `refused` with a reason when this pool can never do it (it is parked for an
   * operator). Until then the gateway keeps the work and sends it again after a reconnect. False when no
   * stream is connected: the work comes again on the next stream, answer it then.
   */
  ackWork(workId: string, outcome: 'accepted' | 'refused' = 'accepted', reason = ''): boolean {
    if (!workId) throw new TypeError('ackWork needs the work id (header.work_id)');
    const call = this.call;
    if (!call || !this.connected) return false;
    call.write({ work_ack: { work_id: workId, outcome: outcome === 'accepted' ? 'OUTCOME_ACCEPTED' : 'OUTCOME_REFUSED', reason: reason.slice(0, 1000) } });
    return true;
  }

  /** Work from the gateway (Flow 3), in arrival order. The stream stops reading while 256 are unconsumed. */
  async *work(): AsyncGenerator<Work, void, undefined> {
    if (this.workIterating) throw new Error('work() can be iterated once');
    this.workIterating = true;
    while (!this.closed) {
      const next = this.workQueue.shift() ?? (await new Promise<Work | undefined>((resolve) => (this.workWaiter = resolve)));
      if (!next) return;
      if (this.workQueue.length < this.workLimit / 2) this.call?.resume();
      yield next;
    }
  }

  /** Flushes (bounded by `timeoutMs`), then ends the stream and the channel. */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    try {
      if (this.connected) await this.flush(timeoutMs);
    } finally {
      this.shutdown();
      await this.journal?.close();
    }
  }

  // ---- internals -----------------------------------------------------------------------------------

  private async flushBatch(key: string, deviceId: string, expected?: { readings: Reading[] }): Promise<void> {
    const batch = this.batches.get(key);
    if (!batch || (expected && batch !== expected)) return;
    this.batches.delete(key);
    clearTimeout(batch.timer);
    await this.sendTelemetry(deviceId, batch.readings, { correlationId: batch.correlationId });
  }

  private async enqueue(message: OutgoingMessage): Promise<void> {
    if (this.fatal) throw this.fatal;
    if (this.closed) throw new Error('the adapter client is closed');
    const journal = await this.journalReady;
    while (this.isFull()) {
      await new Promise<void>((resolve, reject) => this.spaceWaiters.push({ resolve, reject }));
    }
    if (this.closed) throw new Error('the adapter client is closed');
    if (!journal) {
      this.outbox.push(message);
      return this.pump();
    }
    // Durable before it can be transmitted: an ack for a message the journal has not got would be lost.
    // Durable promises resolve in append order, so the outbox gets the messages in send order.
    const { id, durable } = journal.append(message);
    await durable;
    if (this.closed) return;
    this.outbox.push(message, id);
    this.pump();
  }

  private isFull(): boolean {
    return this.journal ? this.journal.full : this.outbox.full;
  }

  private async openJournal(o: JournalOptions): Promise<Journal<OutgoingMessage>> {
    const { journal, entries, recovered } = await Journal.open<OutgoingMessage>(o, () => this.wakeSpace());
    // Not yet numbered: the gateway's resume_after_sequence decides where their numbers start; a message
    // that was durable at the gateway before the crash goes again under its idempotency key (the inbox dedupes).
    for (const e of entries) this.outbox.push(e.message, e.id);
    this.journal = journal;
    this.emit('journal', { restored: entries.length, recovered });
    return journal;
  }

  /** The gateway answered these: the journal never sends them again. */
  private answered(entries: ReadonlyArray<{ journalId: number }>): void {
    if (this.journal && entries.length > 0) this.journal.ack(entries.map((e) => e.journalId));
  }

  private open(): void {
    if (this.closed) return;
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${this.options.token}`);
    const call = this.client.makeBidiStreamRequest(this.method.path, this.method.requestSerialize, this.method.responseDeserialize, metadata, {});
    this.call = call;
    this.connected = false;
    this.paused = false;
    this.writeBlocked = false;
    call.on('data', (m: unknown) => this.onMessage(call, m));
    call.on('error', (err: ServiceError) => this.onDown(call, err.code ?? status.UNKNOWN, err.details ?? err.message));
    call.on('end', () => this.onDown(call, status.UNAVAILABLE, 'the gateway ended the stream'));
    const h = this.options.hello ?? {};
    call.write({
      hello: {
        adapter_id: this.options.adapterId,
        family: FAMILY_ENUM[this.options.family],
        stream_id: this.streamId,
        last_acked_sequence: String(this.outbox.acked),
        capabilities: h.capabilities ?? [],
        vendor: h.vendor ?? '',
        model: h.model ?? '',
        software_version: h.softwareVersion ?? '',
        warehouse: h.warehouse ?? '',
      },
    });
  }

  private onMessage(call: ClientDuplexStream<unknown, unknown>, raw: unknown): void {
    if (call !== this.call || typeof raw !== 'object' || raw === null) return;
    const m = raw as Record<string, unknown> & { kind?: string };
    switch (m.kind) {
      case 'hello_ack':
        return this.onHelloAck(m.hello_ack as Record<string, unknown>);
      case 'ack':
        return this.onAck(m.ack as Record<string, unknown>);
      case 'reject':
        return this.onReject(m.reject as Record<string, unknown>);
      case 'flow_control': {
        const fc = m.flow_control as Record<string, unknown>;
        const action = String(fc.action ?? '');
        if (action === 'ACTION_PAUSE') this.paused = true;
        if (action === 'ACTION_RESUME') this.paused = false;
        this.emit('flow', { action, inFlight: toNumber(fc.in_flight), maxInFlight: toNumber(fc.max_in_flight), reason: String(fc.reason ?? '') });
        this.pump();
        return;
      }
      case 'work': {
        const work = m.work as Work;
        this.emit('work', work);
        if (this.workIterating) this.deliverWork(work);
        return;
      }
      default:
        return;
    }
  }

  private onHelloAck(ack: Record<string, unknown>): void {
    const info: HelloAckInfo = {
      sessionId: String(ack.session_id ?? ''),
      resumeAfterSequence: toNumber(ack.resume_after_sequence),
      maxInFlight: toNumber(ack.max_in_flight),
      maxMessageBytes: toNumber(ack.max_message_bytes),
      heartbeatIntervalMs: toNumber(ack.heartbeat_interval_ms),
      ratePerSecond: typeof ack.rate_per_second === 'number' ? ack.rate_per_second : 0,
    };
    this.answered(this.outbox.resume(info.resumeAfterSequence));
    this.maxInFlight = info.maxInFlight > 0 ? info.maxInFlight : 64;
    // A margin below the gateway's bucket: arrival times jitter, and pacing exactly at the limit would
    // still draw the odd RESOURCE_EXHAUSTED.
    this.pace = info.ratePerSecond > 0 && this.options.paceToGatewayRate !== false ? new Pacer(info.ratePerSecond * 0.9, Math.max(1, Math.floor(info.ratePerSecond * 0.45))) : undefined;
    this.connected = true;
    this.attempt = 0;
    this.wakeSpace();
    this.wakeDrain();
    this.emit('connected', info);
    for (const w of this.readyWaiters.splice(0)) w.resolve();
    this.pump();
  }

  private onAck(ack: Record<string, unknown>): void {
    const info: AckInfo = { sequence: toNumber(ack.sequence), updates: toNumber(ack.updates), duplicate: ack.duplicate === true };
    const settled = this.outbox.settle(info.sequence);
    this.answered(settled);
    this.stats.acked += settled.length;
    if (info.duplicate) this.stats.duplicates += 1;
    this.emit('ack', info);
    this.afterSettle();
  }

  private onReject(r: Record<string, unknown>): void {
    const sequence = toNumber(r.sequence);
    const info: RejectInfo = {
      sequence,
      code: toNumber(r.code),
      status: String(r.status ?? ''),
      fieldPath: String(r.field_path ?? ''),
      message: String(r.message ?? ''),
      retryable: r.retryable === true,
    };
    if (sequence > 0 && info.retryable) {
      // Answers come in order: everything before it is settled; it goes back to the queue.
      const settled = this.outbox.settle(sequence - 1);
      this.answered(settled);
      this.stats.acked += settled.length;
      if (this.outbox.requeue(sequence)) this.stats.retried += 1;
      this.retryAt = Date.now() + backoffDelay(Math.min(this.stats.retried, 6), this.options.backoff ?? RECONNECT_BACKOFF);
    } else if (sequence > 0) {
      const settled = this.outbox.settle(sequence);
      this.answered(settled);
      const refused = settled.find((e) => e.sequence === sequence);
      if (refused) info.refused = refused.message;
      this.stats.rejected += 1;
      this.stats.acked += settled.length - (refused ? 1 : 0);
    } else {
      this.stats.rejected += 1;
    }
    this.emit('reject', info);
    this.afterSettle();
  }

  private afterSettle(): void {
    this.wakeSpace();
    this.wakeDrain();
    this.pump();
  }

  /** Sends buffered messages while the window, flow control and the HTTP/2 stream allow. */
  private pump(): void {
    const call = this.call;
    if (!call || !this.connected || this.paused || this.writeBlocked || this.closed) return;
    const wait = this.retryAt - Date.now();
    if (wait > 0) {
      if (!this.retryTimer) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.pump();
        }, wait);
      }
      return;
    }
    while (this.outbox.inFlight < this.maxInFlight) {
      const paceWait = this.pace?.wait(Date.now()) ?? 0;
      if (paceWait > 0) {
        if (!this.retryTimer) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.pump();
          }, paceWait);
        }
        return;
      }
      const entry = this.outbox.next();
      if (!entry) return;
      this.pace?.take();
      this.stats.sent += 1;
      const ok = call.write(wireMessage(this.options.adapterId, entry.sequence, entry.message));
      if (!ok) {
        this.writeBlocked = true;
        call.once('drain', () => {
          this.writeBlocked = false;
          this.pump();
        });
        return;
      }
    }
  }

  private onDown(call: ClientDuplexStream<unknown, unknown>, code: number, details: string): void {
    if (call !== this.call) return;
    this.call = undefined;
    this.connected = false;
    if (this.closed) return;
    if (this.closing) return this.shutdown();
    if (FATAL.has(code)) {
      this.fatal = new Error(`gateway refused the adapter: ${status[code] ?? code}: ${details}`);
      this.emit('disconnected', { code, details, reconnectInMs: -1 });
      if (this.listenerCount('error') > 0) this.emit('error', this.fatal);
      return this.shutdown(this.fatal);
    }
    const delay = backoffDelay(this.attempt, this.options.backoff ?? RECONNECT_BACKOFF);
    this.attempt += 1;
    this.stats.reconnects += 1;
    this.emit('disconnected', { code, details, reconnectInMs: delay });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.open();
    }, delay);
  }

  private deliverWork(work: Work): void {
    if (this.workWaiter) {
      const w = this.workWaiter;
      this.workWaiter = undefined;
      w(work);
      return;
    }
    this.workQueue.push(work);
    // A consumer that falls behind slows the gateway down instead of growing this queue.
    if (this.workQueue.length >= this.workLimit) this.call?.pause();
  }

  private wakeSpace(): void {
    while (!this.isFull() && this.spaceWaiters.length > 0) this.spaceWaiters.shift()?.resolve();
  }

  private wakeDrain(): void {
    if (this.outbox.size > 0 || this.batches.size > 0) return;
    for (const w of this.drainWaiters.splice(0)) w();
  }

  private shutdown(reason?: Error): void {
    if (this.closed) return;
    this.closed = true;
    const err = reason ?? new Error('the adapter client is closed');
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.retryTimer);
    for (const b of this.batches.values()) clearTimeout(b.timer);
    this.batches.clear();
    for (const w of this.spaceWaiters.splice(0)) w.reject(err);
    for (const w of this.readyWaiters.splice(0)) w.reject(err);
    this.workWaiter?.(undefined);
    const call = this.call;
    this.call = undefined;
    if (call) {
      call.end();
      call.cancel();
    }
    this.client.close();
    // What is queued is still written: a message whose send* resolved must stay durable.
    this.journal?.close().catch(() => undefined);
  }
}

function channelCredentials(tls: ConnectOptions['tls']): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  if (tls === true) return credentials.createSsl();
  return credentials.createSsl(tls.rootCerts ?? null, tls.privateKey ?? null, tls.certChain ?? null);
}

/** The proto message for a buffered message, numbered now (see Outbox). */
export function wireMessage(adapterId: string, sequence: number, m: OutgoingMessage): Record<string, unknown> {
  const envelope = envelopeMessage({
    adapterId,
    deviceId: m.deviceId,
    sequence,
    idempotencyKey: m.kind === 'update' ? m.idempotencyKey : '',
    correlationId: m.correlationId,
    eventTimeMs: m.eventTimeMs,
  });
  if (m.kind === 'telemetry') return { telemetry: { envelope, readings: m.readings } };
  return { update: { envelope, ...updatePayloadMessage(m.type, m.payload) } };
}

/**
 * Token bucket (burst default: one second's worth): `wait` says how long until a message may go,
 * `take` spends one. Times are passed in, so it is testable without a clock.
 */
export class Pacer {
  private tokens: number;
  private last = 0;
  constructor(
    private readonly perSecond: number,
    private readonly burst: number = perSecond,
  ) {
    this.tokens = burst;
  }

  wait(nowMs: number): number {
    if (this.last === 0) this.last = nowMs;
    this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) * this.perSecond) / 1000);
    this.last = nowMs;
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.perSecond);
  }

  take(): void {
    this.tokens -= 1;
  }
}
