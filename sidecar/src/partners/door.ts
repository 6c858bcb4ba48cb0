import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ErpUpdate } from '@logistics-bridge/contract';
import { PublishError, type UpdatePublisher } from '../broker';
import type { Partner } from '../config/partners';
import type { Service } from '../lifecycle';
import type { Logger } from '../telemetry';
import { isCarrierPlatform, CARRIER_PLATFORMS } from './carriers';
import type { Admission, PartnerDirectory } from './directory';
import { carrierWebhook, partnerBatch, type WebhookIngested } from './ingest';

export interface PartnerDoorOptions {
  /** host:port; port 0 picks a free port (tests). */
  listen: string;
  directory: PartnerDirectory;
  /** The shared update publisher (mode `refuse`: no channel, no wait). */
  publisher: UpdatePublisher;
  maxBodyBytes: number;
  log: Logger;
  registry?: Registry;
  /** The clock (tests of the replay window). */
  now?: () => number;
}

/** What the door answers: a status and a JSON body (`{error, path}` for refusals). */
interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}
const refuse = (status: number, error: string, path?: string, headers?: Record<string, string>): Answer => ({ status, body: path === undefined ? { error } : { error, path }, headers });

const UPDATES_ROUTE = /^\/v1\/partners\/([^/]+)\/updates$/;
const WEBHOOK_ROUTE = /^\/v1\/carriers\/([^/]+)\/webhook$/;

class TooLarge extends Error {}

/**
 * The partner HTTP door (Flow 4, docs/partners.md), on a listener of its own:
 * `POST /v1/partners/{partner}/updates` (a batch of contract updates) and
 * `POST /v1/carriers/{platform}/webhook` (a carrier platform's tracking webhook). A request is
 * validated whole before anything is published (a bad item: 422 with its path, nothing published),
 * then each update is published to `logistics.updates` with confirms; 202 once every one is confirmed,
 * 503 otherwise, with the keys that are durable and those that are not (resending the whole request is
 * safe: the inbox dedupes on the keys). Never a 500 for input.
 */
export class PartnerDoor implements Service {
  readonly name = 'partner-door';
  private readonly server: http.Server;
  private readonly requests?: Counter<'route' | 'status'>;
  private readonly durable?: Histogram<'route'>;
  private port: number | undefined;

  constructor(private readonly opts: PartnerDoorOptions) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 65_000; // beyond the usual 60 s of load balancers in front of it
    this.server.requestTimeout = 30_000;
    if (opts.registry) {
      this.requests = new Counter({ name: 'logistics_bridge_partner_requests_total', help: 'Partner HTTP door requests by route and answered status', labelNames: ['route', 'status'], registers: [opts.registry] });
      this.durable = new Histogram({
        name: 'logistics_bridge_partner_durable_seconds',
        help: 'Partner HTTP door: request received to every update confirmed by RabbitMQ',
        labelNames: ['route'],
        buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
        registers: [opts.registry],
      });
    }
  }

  async start(): Promise<number> {
    if (this.port !== undefined) return this.port;
    const i = this.opts.listen.lastIndexOf(':');
    const host = this.opts.listen.slice(0, i).replace(/^\[(.*)\]$/, '$1') || '0.0.0.0';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(Number(this.opts.listen.slice(i + 1)), host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.opts.log.info('partner door listening', { listen: this.opts.listen, port: this.port, partners: this.opts.directory.partners.map((p) => p.id), queue: this.opts.publisher.queue });
    this.opts.publisher.declare().catch(() => undefined); // keeps opening its channel until the broker is reachable
    return this.port;
  }

  async run(signal: AbortSignal): Promise<void> {
    await this.start();
    if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await this.stop();
  }

  /** Stops accepting, lets the requests in flight get their answer (their publishes confirmed), then closes. */
  async stop(): Promise<void> {
    if (this.port === undefined) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), 10_000);
    timer.unref();
    await closed;
    clearTimeout(timer);
    await this.opts.publisher.close();
    this.port = undefined;
    this.opts.log.info('partner door stopped');
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = UPDATES_ROUTE.test(path) ? 'updates' : WEBHOOK_ROUTE.test(path) ? 'webhook' : 'other';
    let answer: Answer;
    try {
      answer = await this.answer(req, path);
    } catch (err) {
      this.opts.log.error('partner door failed on a request', { path, error: err instanceof Error ? err.message : String(err) });
      answer = refuse(500, 'internal error');
    }
    if (answer.status === 202) this.durable?.observe({ route }, (performance.now() - started) / 1000);
    this.requests?.inc({ route, status: String(answer.status) });
    const text = JSON.stringify(answer.body);
    // An unread body (refused before reading it) would be taken for the next request: close instead.
    if (!req.complete) res.setHeader('Connection', 'close');
    res.writeHead(answer.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...answer.headers });
    res.end(text);
  }

  private async answer(req: http.IncomingMessage, path: string): Promise<Answer> {
    const updates = UPDATES_ROUTE.exec(path);
    const webhook = updates ? null : WEBHOOK_ROUTE.exec(path);
    if (!updates && !webhook) return refuse(404, `no route ${path}; try POST /v1/partners/{partner}/updates or POST /v1/carriers/{platform}/webhook`);
    if (req.method !== 'POST') return refuse(405, 'only POST', undefined, { Allow: 'POST' });
    let name: string;
    try {
      name = decodeURIComponent(updates?.[1] ?? webhook?.[1] ?? '');
    } catch {
      return refuse(404, `no route ${path}: malformed percent-encoding`);
    }
    if (webhook && !isCarrierPlatform(name)) return refuse(404, `unknown carrier platform ${name} (known: ${CARRIER_PLATFORMS.join(', ')})`);
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > this.opts.maxBodyBytes) return refuse(413, `the body is over ${this.opts.maxBodyBytes} bytes`);
    let body: Buffer;
    try {
      body = await readBody(req, this.opts.maxBodyBytes);
    } catch (err) {
      if (err instanceof TooLarge) return refuse(413, `the body is over ${this.opts.maxBodyBytes} bytes`);
      return refuse(400, 'the request body could not be read');
    }
    const now = this.opts.now?.() ?? Date.now();
    const admission: Admission = updates
      ? this.opts.directory.admitById(name, req.headers, body, now)
      : this.opts.directory.admitByPlatform(name as Parameters<PartnerDirectory['admitByPlatform']>[0], req.headers, body, now);
    if (!admission.ok) return refuse(admission.status, admission.message, undefined, admission.retryAfterS ? { 'Retry-After': String(admission.retryAfterS) } : undefined);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return refuse(400, 'the body is not JSON', '(body)');
    }
    const ingested: WebhookIngested = updates ? partnerBatch(admission.partner, json) : carrierWebhook(admission.partner, name as Parameters<typeof carrierWebhook>[1], json);
    if (!ingested.ok) return refuse(ingested.status, ingested.message, ingested.path);
    if ('ignored' in ingested) return { status: 200, body: { accepted: 0, ignored: ingested.ignored } };
    return this.publish(admission.partner, ingested.updates);
  }

  /** Publishes every update at once (one confirm window); 202 when all are confirmed, 503 naming the durable ones otherwise. */
  private async publish(partner: Partner, updates: ErpUpdate[]): Promise<Answer> {
    const results = await Promise.allSettled(updates.map((u) => this.opts.publisher.publish(u, { sequence: 0, eventTimeMs: Date.parse(u.event_time) })));
    const keys = updates.map((u) => u.idempotency_key);
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
    if (!failed.length) return { status: 202, body: { accepted: updates.length, keys } };
    const first = results[failed[0]!] as PromiseRejectedResult;
    const reason = first.reason instanceof PublishError ? first.reason.message : 'the updates could not be made durable';
    this.opts.log.warn('partner updates not durable; answered 503', { partner: partner.id, failed: failed.length, of: updates.length, reason });
    return {
      status: 503,
      headers: { 'Retry-After': '5' },
      body: { error: `${reason}; send the whole request again (the keys make it safe)`, durable: keys.filter((_, i) => !failed.includes(i)), not_durable: failed.map((i) => keys[i]) },
    };
  }
}

/** The whole body, or TooLarge as soon as it passes `max` bytes. */
function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.pause();
        reject(new TooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
