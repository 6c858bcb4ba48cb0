import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A failed check with what to change; any other error counts as a failure with its message only. */
export class CheckFailure extends Error {
  override readonly name = 'CheckFailure';
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
  }
}

/** One readiness dependency: resolves (with an optional detail, e.g. a version) when it answers, rejects with the reason otherwise. */
export interface ReadinessCheck {
  name: string;
  /** A string is a detail; `{ warning }` keeps the check ready but says what needs attention soon. */
  check: (signal: AbortSignal) => Promise<string | void | { detail?: string; warning?: string }>;
  /** Runs only once this check passed; otherwise reported as not checked. */
  after?: string;
  /** Reported instead of a bare timeout when the check does not answer in time. */
  onTimeout?: { error: string; fix?: string };
}

export interface CheckResult {
  ok: boolean;
  detail?: string;
  error?: string;
  fix?: string;
  warning?: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

/**
 * Runs the checks, each as soon as the one it comes `after` passed, each with its own deadline; pure
 * apart from the checks themselves. Results keep the order of `checks`.
 */
export async function readiness(checks: readonly ReadinessCheck[], timeoutMs: number): Promise<ReadinessReport> {
  const running = new Map<string, Promise<CheckResult>>();
  const run = (c: ReadinessCheck): Promise<CheckResult> => {
    const known = running.get(c.name);
    if (known) return known;
    const dependency = c.after === undefined ? undefined : checks.find((d) => d.name === c.after);
    const result = (dependency ? run(dependency) : Promise.resolve<CheckResult>({ ok: true })).then((dep) =>
      dep.ok ? runOne(c, timeoutMs) : { ok: false, error: `not checked: ${c.after} failed` },
    );
    running.set(c.name, result);
    return result;
  };
  const results = await Promise.all(checks.map(async (c) => [c.name, await run(c)] as const));
  return { ready: results.every(([, r]) => r.ok), checks: Object.fromEntries(results) };
}

async function runOne({ check, onTimeout }: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const answer = await Promise.race([
      check(signal),
      new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => reject(onTimeout ? new CheckFailure(onTimeout.error, onTimeout.fix) : new Error(`no answer within ${timeoutMs} ms`)), { once: true }),
      ),
    ]);
    const { detail, warning } = typeof answer === 'object' ? answer : { detail: answer || undefined, warning: undefined };
    return { ok: true, ...(detail ? { detail } : {}), ...(warning ? { warning } : {}) };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return err instanceof CheckFailure && err.fix ? { ok: false, error, fix: err.fix } : { ok: false, error };
  }
}

export interface HealthServerOptions {
  listen: string;
  registry: Registry;
  checks: readonly ReadinessCheck[];
  timeoutMs?: number;
  /** A report is reused for this long, so that frequent probes cost Odoo and RabbitMQ nothing more. */
  cacheMs?: number;
}

/**
 * `/healthz` (the process serves HTTP: liveness), `/readyz` (200 only when every dependency answers,
 * 503 with each failing check's reason and fix otherwise; cached for `cacheMs`) and `/metrics` (Prometheus text format).
 */
export class HealthServer {
  private readonly server: http.Server;
  private stopping = false;
  private cached: { at: number; report: Promise<ReadinessReport> } | undefined;

  constructor(private readonly opts: HealthServerOptions) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5_000;
  }

  async start(): Promise<AddressInfo> {
    const { host, port } = splitHostPort(this.opts.listen);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  /** Readiness turns 503 at once (load balancers stop sending), then the socket closes. */
  async stop(): Promise<void> {
    this.stopping = true;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
  }

  /** The last report while it is fresh (concurrent probes share one run), else a new one. */
  private report(): Promise<ReadinessReport> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at >= (this.opts.cacheMs ?? 5_000)) {
      this.cached = { at: now, report: readiness(this.opts.checks, this.opts.timeoutMs ?? 3_000) };
    }
    return this.cached.report;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/healthz') return send(res, 200, { status: 'ok' });
      if (path === '/readyz') {
        if (this.stopping) return send(res, 503, { ready: false, checks: {}, reason: 'shutting down' });
        const report = await this.report();
        return send(res, report.ready ? 200 : 503, report);
      }
      if (path === '/metrics') {
        const body = await this.opts.registry.metrics();
        res.writeHead(200, { 'Content-Type': this.opts.registry.contentType });
        return void res.end(body);
      }
      send(res, 404, { error: `no route ${path}; try /healthz, /readyz, /metrics` });
    } catch (err) {
      send(res, 500, { error: err instanceof Error ? err.message : String(err) });
    }
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** `host:port` or `[v6]:port` into parts; the config schema has already checked the shape. */
export function splitHostPort(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host: host || '0.0.0.0', port: Number(listen.slice(i + 1)) };
}
