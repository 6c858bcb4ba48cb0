import { readFileSync } from 'node:fs';
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import type { ParsedWorkAck } from '@logistics-bridge/contract';
import type { Service } from '../../lifecycle';
import type { Logger } from '../../telemetry';
import type { GatewayTokens } from '../../config';
import { Authenticator } from './auth';
import { IngestBudget } from './budget';
import { ReadGates } from './readgate';
import { GatewayError } from './errors';
import { GatewayMetrics } from './metrics';
import { UPDATES_QUEUE } from '../../broker';
import { UpdatePublisher, type UpdatesSource } from './publisher';
import { defaultRelevance, type RelevanceFactory } from './relevance';
import { BarcodeGatewayService, RobotFleetGatewayService, SorterGatewayService, type AnyGatewayService } from './services';
import type { GatewayContext, StreamSession } from './session';
import { StreamStateMap } from './state';

/**
 * Messages a call may have received and not yet handed to its session (readgate.ts); grpc-js would
 * read 16 ahead. One keeps what a paused stream holds to one message beyond the one being handled.
 */
const READ_AHEAD = 1;

export interface GatewayTlsFiles {
  certFile: string;
  keyFile: string;
  /** When set, clients must present a certificate signed by this CA (mutual TLS). */
  clientCaFile?: string;
}

export interface DeviceGatewayOptions {
  /** host:port; port 0 picks a free port (tests). */
  listen: string;
  tokens: GatewayTokens;
  tls?: GatewayTlsFiles;
  /** The Broker's recovering connection (`broker.model`). */
  amqp: UpdatesSource;
  registry: Registry;
  log: Logger;
  relevance?: RelevanceFactory;
  /** Prefix of the queue names (tests use a unique one per run): `${prefix}logistics.updates`. */
  queuePrefix?: string;
  /** Messages received and not answered per stream before it stops reading (default 512). */
  maxInFlightPerStream?: number;
  /** Unconfirmed publishes at once over all streams (default 4096). */
  publishWindow?: number;
  /**
   * Gateway-wide budget of adapter messages held unanswered, in wire bytes (default 16 MiB) and in
   * messages (default 8192). Spending it pauses reading on every stream until half of it is free.
   */
  maxBufferedBytes?: number;
  maxBufferedMessages?: number;
  /** Adapter streams whose resume point and relevance state are remembered (LRU, default 10,000). */
  maxStreamStates?: number;
  /** Largest adapter message in bytes (default 4 MiB); larger ones end the call with RESOURCE_EXHAUSTED. */
  maxMessageBytes?: number;
  heartbeatIntervalMs?: number;
  /** Period of the relevance tick (heartbeat timeouts, blocked robots); default 1000 ms. */
  tickMs?: number;
  /** How long shutdown waits for in-flight messages to become durable (default 10 s). */
  drainTimeoutMs?: number;
}

/**
 * The gRPC device gateway (Flow 2): adapters connect to one service per device family; their updates
 * and ERP-relevant telemetry land on the durable `logistics.updates` queue and are acknowledged
 * after the broker confirms. `run` serves until its signal aborts, then drains and stops.
 */
export class DeviceGateway implements Service {
  readonly name = 'device-gateway';
  readonly publisher: UpdatePublisher;
  private readonly server: Server;
  private readonly ctx: GatewayContext;
  private readonly services: AnyGatewayService[];
  private port: number | undefined;

  constructor(private readonly opts: DeviceGatewayOptions) {
    const log = opts.log;
    const maxMessageBytes = opts.maxMessageBytes ?? 4 * 1024 * 1024;
    this.publisher = new UpdatePublisher(opts.amqp, { queue: `${opts.queuePrefix ?? ''}${UPDATES_QUEUE}`, window: opts.publishWindow ?? 4096, log });
    const metrics = new GatewayMetrics(
      opts.registry,
      () => this.dropTotals(),
      () => this.reductionRatio(),
      () => this.ctx.budget,
    );
    const budget = new IngestBudget({ maxBytes: opts.maxBufferedBytes ?? 16 * 1024 * 1024, maxMessages: opts.maxBufferedMessages ?? 8192 });
    const reads = new ReadGates(budget, READ_AHEAD);
    this.ctx = {
      auth: new Authenticator(opts.tokens),
      publisher: this.publisher,
      relevance: opts.relevance ?? defaultRelevance,
      metrics,
      limits: { maxInFlight: opts.maxInFlightPerStream ?? 512, maxMessageBytes, heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 5000 },
      log,
      budget,
      reads,
      resume: new StreamStateMap(opts.maxStreamStates ?? 10_000, (k) => this.ctx.sessions.has(k)),
      buckets: new Map(),
      sessions: new Map(),
      streams: new StreamStateMap(opts.maxStreamStates ?? 10_000, (k) => this.ctx.sessions.has(k)),
      workAcks: {},
    };
    // grpc-js's server honours no HTTP/2 window options: each stream keeps Node's default 64 KiB
    // receive window, which is what a paused stream can still take in, besides the READ_AHEAD messages
    // its read gate lets grpc-js hand over (counted in the budget). `grpc-node.max_session_memory`
    // is left unset (grpc-js then disables it) because reaching it makes Node refuse new streams with
    // ENHANCE_YOUR_CALM; memory is bounded by pausing reads instead (see IngestBudget).
    this.server = new Server({
      'grpc.max_receive_message_length': maxMessageBytes,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
      interceptors: [reads.interceptor],
    });
    this.services = [new BarcodeGatewayService(this.ctx), new SorterGatewayService(this.ctx), new RobotFleetGatewayService(this.ctx)];
    for (const s of this.services) this.server.addService(s.definition, s.implementation());
  }

  get metrics(): GatewayMetrics {
    return this.ctx.metrics;
  }

  /** The gateway-wide buffer budget (held bytes and messages, their peaks). */
  get budget(): IngestBudget {
    return this.ctx.budget;
  }

  /** Binds the port and declares the updates queue; resolves with the bound port. Idempotent. */
  async start(): Promise<number> {
    if (this.port !== undefined) return this.port;
    const creds = this.opts.tls
      ? ServerCredentials.createSsl(
          this.opts.tls.clientCaFile ? readFileSync(this.opts.tls.clientCaFile) : null,
          [{ private_key: readFileSync(this.opts.tls.keyFile), cert_chain: readFileSync(this.opts.tls.certFile) }],
          Boolean(this.opts.tls.clientCaFile),
        )
      : ServerCredentials.createInsecure();
    this.port = await new Promise<number>((resolve, reject) => this.server.bindAsync(this.opts.listen, creds, (err, port) => (err ? reject(err) : resolve(port))));
    this.opts.log.info('device gateway listening', { listen: this.opts.listen, port: this.port, tls: Boolean(this.opts.tls), mutualTls: Boolean(this.opts.tls?.clientCaFile), queue: this.publisher.queue });
    this.publisher.declare().catch(() => undefined); // the publisher keeps opening its channel until the broker is reachable
    return this.port;
  }

  async run(signal: AbortSignal): Promise<void> {
    await this.start();
    const ticker = setInterval(() => this.tick(), this.opts.tickMs ?? 1000);
    ticker.unref();
    if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    clearInterval(ticker);
    await this.stop();
  }

  /** Stops reading all streams, waits for in-flight messages to be confirmed and answered, ends the calls. */
  async stop(): Promise<void> {
    const sessions = this.liveSessions();
    const bye = new GatewayError(status.UNAVAILABLE, 'the gateway is shutting down; reconnect and resume', '', true);
    await Promise.all(sessions.map((s) => s.drainAndEnd(bye, this.opts.drainTimeoutMs ?? 10_000)));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2000);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await this.publisher.close();
    this.port = undefined;
    this.opts.log.info('device gateway stopped');
  }

  /** Where every stream's `work_ack` goes (the work dispatcher, Flow 3). */
  onWorkAck(sink: (session: StreamSession, ack: ParsedWorkAck) => void): void {
    this.ctx.workAcks.sink = sink;
  }

  /** Connected sessions (after hello): what the work router (Flow 3, `sidecar/src/work`) hands work to. */
  liveSessions(): StreamSession[] {
    return this.services.flatMap((s) => [...s.sessions]);
  }

  private dropTotals(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.ctx.streams.values()) for (const [k, v] of Object.entries(r.counters.dropped)) out[k] = (out[k] ?? 0) + v;
    return out;
  }

  /** Telemetry readings in per ERP update out of the relevance module (0 before the first update). */
  reductionRatio(): number {
    let readings = 0;
    let updates = 0;
    for (const r of this.ctx.streams.values()) {
      readings += r.counters.readings;
      updates += r.counters.updates;
    }
    return updates > 0 ? readings / updates : 0;
  }

  /**
   * Time-driven relevance updates (a device silent past its heartbeat timeout goes offline, a robot
   * blocked too long fails its task). They answer no adapter message, so they are only logged if the
   * broker refuses them; their keys are deterministic, so the next tick cannot double them in Odoo.
   */
  private tick(): void {
    const now = Date.now();
    for (const [key, r] of this.ctx.streams) {
      for (const u of r.tick(now)) {
        const family = this.familyOf(key);
        this.publisher.publish(u, { sequence: 0, eventTimeMs: now }).then(
          () => this.ctx.metrics.updates.inc({ family, type: u.type, source: 'tick' }),
          (err: unknown) => this.opts.log.warn('could not publish a time-driven update', { type: u.type, key: u.idempotency_key, error: err instanceof Error ? err.message : String(err) }),
        );
      }
    }
  }

  private familyOf(key: string): string {
    for (const s of this.liveSessions()) if (s.streamKey === key) return s.family;
    return 'unknown';
  }
}
