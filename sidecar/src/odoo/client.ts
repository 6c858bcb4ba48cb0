import http from 'node:http';
import https from 'node:https';
import { Histogram, type Registry } from 'prom-client';
import { backoffDelay, sleep } from '../retry';
import { fromRpcError, OdooAuthError, OdooError, OdooTransportError } from './errors';

export interface OdooClientOptions {
  url: string;
  db: string;
  login: string;
  /** API key (preferred) or password of the service user. */
  secret: string;
  timeoutMs?: number;
  /** Attempts for a call whose failure is safe to repeat (see OdooError.retryable). */
  maxAttempts?: number;
  registry?: Registry;
}

export interface CallOptions {
  /** The call has no effect when repeated, so it may be retried after a reset or timeout too. */
  idempotent?: boolean;
  signal?: AbortSignal;
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * The sidecar's data-plane client: Odoo's external JSON-RPC (`/jsonrpc`, services common and object),
 * authenticated with login + API key. Keep-alive is on although Odoo 18's own server closes every
 * connection: behind a proxy that keeps connections open it saves the TCP handshake per call.
 */
export class OdooClient {
  private readonly endpoint: URL;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly latency?: Histogram<'method' | 'outcome'>;
  private uid: number | undefined;
  private requestId = 0;

  constructor(private readonly opts: OdooClientOptions) {
    this.endpoint = new URL('/jsonrpc', opts.url);
    const Agent = this.endpoint.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 16 });
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxAttempts = opts.maxAttempts ?? 4;
    if (opts.registry) {
      this.latency = new Histogram({
        name: 'logistics_bridge_odoo_rpc_duration_seconds',
        help: 'Latency of JSON-RPC calls to Odoo by model method and outcome (ok or error class)',
        labelNames: ['method', 'outcome'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [opts.registry],
      });
    }
  }

  get database(): string {
    return this.opts.db;
  }

  /** Logs in and remembers the uid; throws OdooAuthError for a wrong login or key. */
  async authenticate(signal?: AbortSignal): Promise<number> {
    const uid = await this.call('common', 'authenticate', [this.opts.db, this.opts.login, this.opts.secret, {}], { idempotent: true, signal });
    if (typeof uid !== 'number' || uid <= 0) {
      throw new OdooAuthError(`Odoo refused login "${this.opts.login}" on database "${this.opts.db}" (wrong login or API key)`, 'authenticate');
    }
    this.uid = uid;
    return uid;
  }

  /** Server version, without authentication: the cheapest "is Odoo up" probe. */
  async version(signal?: AbortSignal): Promise<{ server_version: string }> {
    const v = (await this.call('common', 'version', [], { idempotent: true, signal })) as { server_version?: unknown };
    return { server_version: String(v?.server_version ?? 'unknown') };
  }

  /**
   * `model.method(*args, **kwargs)` as the service user. The result is `unknown`: callers parse it.
   * An AccessDenied (key revoked or rotated) forgets the uid so the next call logs in again.
   */
  async executeKw(model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}, options: CallOptions = {}): Promise<unknown> {
    const uid = this.uid ?? (await this.authenticate(options.signal));
    const started = process.hrtime.bigint();
    let outcome = 'ok';
    try {
      return await this.call('object', 'execute_kw', [this.opts.db, uid, this.opts.secret, model, method, args, kwargs], options);
    } catch (err) {
      outcome = err instanceof OdooError ? err.odooClass.split('.').pop() ?? 'error' : 'error';
      if (err instanceof OdooAuthError) this.uid = undefined;
      throw err;
    } finally {
      this.latency?.observe({ method: `${model}.${method}`, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private async call(service: string, method: string, args: unknown[], options: CallOptions): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.post({ service, method, args }, options.signal);
      } catch (err) {
        const safe = err instanceof OdooError && (err.retryable || (options.idempotent === true && err.idempotentRetryable));
        if (!safe || attempt + 1 >= this.maxAttempts || options.signal?.aborted) throw err;
        await sleep(backoffDelay(attempt, { baseMs: 100, maxMs: 2_000 }), options.signal);
      }
    }
  }

  private post(params: { service: string; method: string; args: unknown[] }, signal?: AbortSignal): Promise<unknown> {
    const body = JSON.stringify({ jsonrpc: '2.0', method: 'call', params, id: ++this.requestId });
    const lib = this.endpoint.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.request(
        this.endpoint,
        {
          method: 'POST',
          agent: this.agent,
          signal,
          timeout: this.timeoutMs,
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => reject(transportError(e, true)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            let parsed: { result?: unknown; error?: unknown };
            try {
              parsed = JSON.parse(text) as typeof parsed;
            } catch {
              const retryable = status === 502 || status === 503 || status === 504;
              return reject(new OdooTransportError(`Odoo answered HTTP ${status} without JSON: ${text.slice(0, 200)}`, `http_${status}`, { retryable: false, idempotentRetryable: retryable }));
            }
            if (parsed.error !== undefined) return reject(fromRpcError(parsed.error));
            resolve(parsed.result);
          });
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (e) => reject(transportError(e, false)));
      req.end(body);
    });
  }
}

function transportError(err: Error & { code?: string }, afterResponse: boolean): OdooError {
  if (err.name === 'AbortError') return new OdooTransportError('call aborted', 'aborted', { cause: err });
  const code = err.code ?? 'network';
  // A refused connection never reached Odoo: always safe. Anything else may have been processed.
  const neverSent = !afterResponse && CONNECT_ERRORS.has(code);
  return new OdooTransportError(`Odoo unreachable: ${code} ${err.message}`, code, { retryable: neverSent, idempotentRetryable: true, cause: err });
}
