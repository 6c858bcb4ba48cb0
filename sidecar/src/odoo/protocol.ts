import { fromRpcError, OdooAuthError, OdooError, OdooTransportError, odooErrorFor } from './errors';

/**
 * The two wire protocols of Odoo's external API, as pure request builders and answer parsers (no I/O):
 * - `jsonrpc`: Odoo 18 (and 19, deprecated there): `POST /jsonrpc`, service `object`, `execute_kw` with
 *   login + password/API key in every call, positional arguments, errors inside a 200 answer.
 * - `json2`: Odoo 19: `POST /json/2/<model>/<method>`, `Authorization: bearer <API key>`, the database in
 *   `X-Odoo-Database`, named arguments (`ids`, `context` and the method's own parameter names), one
 *   transaction per call, errors as HTTP statuses with a JSON body `{name, message, ...}`.
 */
export type OdooProtocol = 'jsonrpc' | 'json2';
export type ProtocolSetting = OdooProtocol | 'auto';

export interface HttpRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** The protocol an Odoo speaks best, from `server_version_info` (first number is the major series). */
export function protocolForVersion(info: unknown): OdooProtocol {
  // SaaS builds name their series 'saas~18' (then 4 for saas~18.4).
  const major = Array.isArray(info) ? Number(String(info[0]).replace(/^saas~/, '')) : Number.NaN;
  if (!Number.isFinite(major)) throw new OdooTransportError(`cannot tell Odoo's series from server_version_info ${JSON.stringify(info)}`, 'version');
  return major >= 19 ? 'json2' : 'jsonrpc';
}

export function jsonRpcRequest(service: string, method: string, args: unknown[], id: number): HttpRequest {
  return {
    path: '/jsonrpc',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'call', params: { service, method, args }, id }),
  };
}

/** A JSON-RPC answer: `result`, or the ladder's error for `error`; an answer without JSON is transport. */
export function parseJsonRpcAnswer(status: number, text: string): unknown {
  let parsed: { result?: unknown; error?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw nonJson(status, text);
  }
  if (parsed.error !== undefined) throw fromRpcError(parsed.error);
  return parsed.result;
}

/**
 * Parameter names of the methods the bridge calls with positional arguments, so one `executeKw` call
 * site serves both protocols. Record methods (first positional argument = ids) are listed in
 * RECORD_METHODS; everything else is a model method. A method missing here must be called with named
 * arguments only (kwargs), or with ids alone for a record method such as a button.
 */
const MODEL_METHODS: Readonly<Record<string, readonly string[]>> = {
  create: ['vals_list'],
  search: ['domain', 'offset', 'limit', 'order'],
  search_read: ['domain', 'fields', 'offset', 'limit', 'order'],
  search_count: ['domain', 'limit'],
  fields_get: ['allfields', 'attributes'],
  'logistics.bridge.event.relay_claim': ['worker_id', 'limit', 'lease_seconds', 'ack_ids'],
  'logistics.bridge.event.relay_ack': ['worker_id', 'event_ids'],
  'logistics.bridge.event.relay_nack': ['worker_id', 'failures'],
  'logistics.bridge.event.relay_release': ['worker_id', 'event_ids'],
  'logistics.bridge.event.relay_wait': ['after_id', 'timeout'],
  'logistics.bridge.event.relay_stats': [],
  'logistics.bridge.event.relay_replay': ['since_id', 'since', 'event_types', 'limit'],
  'logistics.bridge.update.apply_batch': ['updates'],
  'logistics.bridge.update.record_dead_letters': ['letters'],
  'logistics.bridge.service.key_status': ['key_index'],
  'logistics.bridge.service.caller_rights': ['groups'],
  'logistics.bridge.relay.relay_register': ['worker_id', 'instance', 'host', 'pid', 'incarnation', 'timeout_s'],
  'logistics.bridge.relay.relay_heartbeat': ['worker_id', 'instance'],
  'logistics.bridge.relay.relay_unregister': ['worker_id', 'instance'],
};
const RECORD_METHODS: Readonly<Record<string, readonly string[]>> = {
  read: ['fields', 'load'],
  write: ['vals'],
  unlink: [],
};

const isIds = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isInteger(x));

/** `execute_kw`'s (args, kwargs) as JSON-2's named body; refuses what it cannot name rather than guess. */
export function json2Params(model: string, method: string, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const record = RECORD_METHODS[method];
  const names = MODEL_METHODS[`${model}.${method}`] ?? MODEL_METHODS[method];
  const out: Record<string, unknown> = {};
  let rest = args;
  if (record || (!names && args.length === 1 && isIds(args[0]))) {
    if (!isIds(args[0])) throw unnamed(model, method, 'its first argument must be the record ids');
    out.ids = args[0];
    rest = args.slice(1);
  }
  const params = record ?? names ?? [];
  if (rest.length > params.length) throw unnamed(model, method, `${rest.length} positional arguments but ${params.length} known parameter names`);
  rest.forEach((value, i) => (out[params[i] as string] = value));
  for (const [k, v] of Object.entries(kwargs)) {
    if (k in out) throw unnamed(model, method, `argument ${k} given twice`);
    out[k] = v;
  }
  return out;
}

export function json2Request(db: string, apiKey: string, model: string, method: string, params: Record<string, unknown>): HttpRequest {
  return {
    path: `/json/2/${encodeURIComponent(model)}/${encodeURIComponent(method)}`,
    headers: { 'Content-Type': 'application/json', Authorization: `bearer ${apiKey}`, 'X-Odoo-Database': db },
    body: JSON.stringify(params),
  };
}

/** A JSON-2 answer: 200 carries the result; any other status carries `{name, message}` of the exception. */
export function parseJson2Answer(status: number, text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw nonJson(status, text);
  }
  if (status === 200) return parsed;
  const body = (parsed ?? {}) as { name?: unknown; message?: unknown };
  const cls = typeof body.name === 'string' ? body.name : `http_${status}`;
  const message = typeof body.message === 'string' && body.message ? body.message : `Odoo answered HTTP ${status}`;
  // 401 is the bearer check (unknown, revoked or expired key); 403 may be AccessDenied or AccessError.
  if (status === 401) throw new OdooAuthError(`Odoo refused the API key (${message})`, cls);
  if (status === 502 || status === 503 || status === 504) {
    throw new OdooTransportError(`Odoo answered HTTP ${status}: ${message}`, cls, { retryable: false, idempotentRetryable: true });
  }
  // A missing model or method (404 NotFound) or arguments that do not bind (422) are refusals of this input.
  if (/^werkzeug\.exceptions\.(NotFound|UnprocessableEntity|BadRequest)$/.test(cls)) throw odooErrorFor('odoo.exceptions.UserError', message, cls);
  throw odooErrorFor(cls, message);
}

function nonJson(status: number, text: string): OdooError {
  const retryable = status === 502 || status === 503 || status === 504;
  return new OdooTransportError(`Odoo answered HTTP ${status} without JSON: ${text.slice(0, 200)}`, `http_${status}`, { retryable: false, idempotentRetryable: retryable });
}

function unnamed(model: string, method: string, why: string): OdooError {
  return new OdooError(`cannot call ${model}.${method} over JSON-2: ${why}; pass named arguments`, 'json2.arguments');
}
