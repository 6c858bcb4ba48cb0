import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/**
 * One readiness dependency: resolves when it answers, rejects with the reason otherwise. It may resolve
 * with a warning (e.g. an API key that expires soon): still ready, and the warning is in the report.
 */
export interface ReadinessCheck {
  name: string;
  check: (signal: AbortSignal) => Promise<void | string>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; error?: string; warning?: string }>;
}

/** Runs every check in parallel with a deadline; pure apart from the checks themselves. */
export async function readiness(checks: readonly ReadinessCheck[], timeoutMs: number): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const warning = await Promise.race([
          check(signal),
          new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error(`no answer within ${timeoutMs} ms`)), { once: true })),
        ]);
        return [name, warning ? { ok: true, warning } : { ok: true }] as const;
      } catch (err) {
        return [name, { ok: false, error: err instanceof Error ? err.message : String(err) }] as const;
      }
    }),
  );
  return { ready: results.every(([, r]) => r.ok), checks: Object.fromEntries(results) };
}

export interface HealthServerOptions {
  listen: string;
  registry: Registry;
  checks: readonly ReadinessCheck[];
  timeoutMs?: number;
}

/**
 * `/healthz` (the process serves HTTP: liveness), `/readyz` (200 only when every dependency answers,
 * 503 with the reasons otherwise) and `/metrics` (Prometheus text format).
 */
export class HealthServer {
  private readonly server: http.Server;
  private stopping = false;

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

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/healthz') return send(res, 200, { status: 'ok' });
      if (path === '/readyz') {
        if (this.stopping) return send(res, 503, { ready: false, checks: {}, reason: 'shutting down' });
        const report = await readiness(this.opts.checks, this.opts.timeoutMs ?? 3_000);
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
