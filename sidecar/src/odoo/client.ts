import http from 'node:http';
import https from 'node:https';
import { Histogram, type Registry } from 'prom-client';
import { backoffDelay, sleep } from '../retry';
import { OdooAuthError, OdooError, OdooTransportError } from './errors';
import { keyStatusSchema, type KeyStatus } from './key';
import {
  json2Params,
  json2Request,
  jsonRpcRequest,
  parseJson2Answer,
  parseJsonRpcAnswer,
  protocolForVersion,
  type HttpRequest,
  type OdooProtocol,
  type ProtocolSetting,
} from './protocol';

export interface OdooClientOptions {
  url: string;
  db: string;
  login: string;
  /** API key (preferred; the only credential JSON-2 takes) or password of the service user. */
  secret: string;
  /** What `secret` is; a password works over JSON-RPC only. */
  secretKind?: 'api_key' | 'password';
  /** `auto` (default) asks the server's version once: JSON-2 from Odoo 19 on, JSON-RPC before. */
  protocol?: ProtocolSetting;
  /**
   * Reads the secret again (ODOO_API_KEY_FILE) after Odoo refused it: a key rotated in the mounted file
   * is picked up without a restart. Returns undefined when there is nothing to reload from.
   */
  reloadSecret?: () => string | undefined;
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

export interface OdooVersion {
  server_version: string;
  /** `[major, minor, micro, level, serial, ...]`, e.g. `[19, 0, 0, 'final', 0, '']`. */
  server_version_info: unknown[];
}

type Parse = (status: number, text: string) => unknown;

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * The sidecar's data-plane client over Odoo's external API: JSON-2 on Odoo 19 (bearer API key, named
 * arguments), JSON-RPC on 18 (`/jsonrpc`, login + API key), chosen from the server version on first use
 * or forced by `protocol`. Both give the same typed errors (errors.ts), retries and timeouts; call sites
 * use `executeKw` with `execute_kw`'s (args, kwargs) whatever the protocol (protocol.ts names them).
 * Keep-alive is on although Odoo's own server closes every connection: behind a proxy that keeps
 * connections open it saves the TCP handshake per call.
 */
export class OdooClient {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly latency?: Histogram<'method' | 'outcome'>;
  private secret: string;
  private uid: number | undefined;
  private chosen: Promise<OdooProtocol> | undefined;
  private requestId = 0;

  constructor(private readonly opts: OdooClientOptions) {
    this.base = new URL(opts.url);
    const Agent = this.base.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 16 });
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxAttempts = opts.maxAttempts ?? 4;
    this.secret = opts.secret;
    if (opts.protocol && opts.protocol !== 'auto') this.chosen = Promise.resolve(opts.protocol);
    if (opts.registry) {
      this.latency = new Histogram({
        name: 'logistics_bridge_odoo_rpc_duration_seconds',
        help: 'Latency of calls to Odoo (JSON-2 or JSON-RPC) by model method and outcome (ok or error class)',
        labelNames: ['method', 'outcome'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [opts.registry],
      });
    }
  }

  get database(): string {
    return this.opts.db;
  }

  /** The protocol in use: the forced one, or the one the server's version calls for (asked once). */
  protocol(signal?: AbortSignal): Promise<OdooProtocol> {
    if (!this.chosen) {
      const asked = this.version(signal).then((v) => protocolForVersion(v.server_version_info));
      this.chosen = asked;
      asked.catch(() => {
        if (this.chosen === asked) this.chosen = undefined; // Odoo down at start-up: ask again next time
      });
    }
    return this.chosen;
  }

  /**
   * Checks the credentials and returns the service user's id; throws OdooAuthError for a wrong login or
   * key. JSON-RPC logs in; JSON-2 has no login, so the bearer key is checked with `res.users.context_get`,
   * which answers the caller's uid (the service user may search no res.users record, not even its own).
   */
  async authenticate(signal?: AbortSignal): Promise<number> {
    const protocol = await this.protocol(signal);
    const refused = () => new OdooAuthError(`Odoo refused login "${this.opts.login}" on database "${this.opts.db}" (wrong login or API key)`, 'authenticate');
    let uid: unknown;
    if (protocol === 'json2') {
      this.assertApiKey();
      try {
        const context = await this.send(json2Request(this.opts.db, this.secret, 'res.users', 'context_get', {}), parseJson2Answer, { idempotent: true, signal });
        uid = context && typeof context === 'object' ? (context as { uid?: unknown }).uid : undefined;
      } catch (err) {
        throw err instanceof OdooAuthError ? refused() : err;
      }
    } else {
      uid = await this.send(jsonRpcRequest('common', 'authenticate', [this.opts.db, this.opts.login, this.secret, {}], ++this.requestId), parseJsonRpcAnswer, { idempotent: true, signal });
    }
    if (typeof uid !== 'number' || uid <= 0) throw refused();
    this.uid = uid;
    return uid;
  }

  /** Server version, without authentication (the same route on 18 and 19): the cheapest "is Odoo up" probe. */
  async version(signal?: AbortSignal): Promise<OdooVersion> {
    const req: HttpRequest = { path: '/web/webclient/version_info', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', method: 'call', params: {}, id: ++this.requestId }) };
    const v = (await this.send(req, parseJsonRpcAnswer, { idempotent: true, signal })) as { server_version?: unknown; server_version_info?: unknown };
    return { server_version: String(v?.server_version ?? 'unknown'), server_version_info: Array.isArray(v?.server_version_info) ? v.server_version_info : [] };
  }

  /**
   * `model.method(*args, **kwargs)` as the service user. The result is `unknown`: callers parse it.
   * A refused key makes the client read it again (reloadSecret) and, when it changed, repeat the call once;
   * JSON-RPC also forgets the uid so the next call logs in again.
   */
  async executeKw(model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}, options: CallOptions = {}): Promise<unknown> {
    const started = process.hrtime.bigint();
    let outcome = 'ok';
    try {
      try {
        return await this.callOnce(model, method, args, kwargs, options);
      } catch (err) {
        if (!(err instanceof OdooAuthError) || !this.reloadedSecret()) throw err;
        return await this.callOnce(model, method, args, kwargs, options);
      }
    } catch (err) {
      outcome = err instanceof OdooError ? err.odooClass.split('.').pop() ?? 'error' : 'error';
      throw err;
    } finally {
      this.latency?.observe({ method: `${model}.${method}`, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /**
   * The expiry of the API key in use, from the addon (Odoo keeps only a hash, so the key is found by its
   * first 8 characters, which Odoo stores in clear as the key's index). A password has no expiry.
   */
  async keyStatus(signal?: AbortSignal): Promise<KeyStatus> {
    if (this.opts.secretKind === 'password') return { found: false, expires_at: null };
    const raw = await this.executeKw('logistics.bridge.service', 'key_status', [this.secret.slice(0, 8)], {}, { idempotent: true, signal });
    return keyStatusSchema.parse(raw);
  }

  close(): void {
    this.agent.destroy();
  }

  private async callOnce(model: string, method: string, args: unknown[], kwargs: Record<string, unknown>, options: CallOptions): Promise<unknown> {
    if ((await this.protocol(options.signal)) === 'json2') {
      this.assertApiKey();
      return this.send(json2Request(this.opts.db, this.secret, model, method, json2Params(model, method, args, kwargs)), parseJson2Answer, options);
    }
    const uid = this.uid ?? (await this.authenticate(options.signal));
    try {
      return await this.send(jsonRpcRequest('object', 'execute_kw', [this.opts.db, uid, this.secret, model, method, args, kwargs], ++this.requestId), parseJsonRpcAnswer, options);
    } catch (err) {
      if (err instanceof OdooAuthError) this.uid = undefined;
      throw err;
    }
  }

  private reloadedSecret(): boolean {
    const fresh = this.opts.reloadSecret?.();
    if (!fresh || fresh === this.secret) return false;
    this.secret = fresh;
    this.uid = undefined;
    return true;
  }

  private assertApiKey(): void {
    if (this.opts.secretKind === 'password') {
      throw new OdooAuthError("Odoo 19's JSON-2 API takes an API key, not a password: set ODOO_API_KEY (or ODOO_PROTOCOL=jsonrpc for the deprecated /jsonrpc)", 'json2.password');
    }
  }

  private async send(req: HttpRequest, parse: Parse, options: CallOptions): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.post(req, parse, options.signal);
      } catch (err) {
        const safe = err instanceof OdooError && (err.retryable || (options.idempotent === true && err.idempotentRetryable));
        if (!safe || attempt + 1 >= this.maxAttempts || options.signal?.aborted) throw err;
        await sleep(backoffDelay(attempt, { baseMs: 100, maxMs: 2_000 }), options.signal);
      }
    }
  }

  private post(req: HttpRequest, parse: Parse, signal?: AbortSignal): Promise<unknown> {
    const lib = this.base.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const r = lib.request(
        new URL(req.path, this.base),
        {
          method: 'POST',
          agent: this.agent,
          signal,
          timeout: this.timeoutMs,
          headers: { ...req.headers, 'Content-Length': Buffer.byteLength(req.body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => reject(transportError(e, true)));
          res.on('end', () => {
            try {
              resolve(parse(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
            } catch (err) {
              reject(err);
            }
          });
        },
      );
      r.on('timeout', () => r.destroy(Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      r.on('error', (e) => reject(transportError(e, false)));
      r.end(req.body);
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
