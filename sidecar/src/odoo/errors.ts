/**
 * What can go wrong talking to Odoo, as a small ladder. `retryable` says whether repeating the same
 * call is safe whatever it was; `idempotentRetryable` whether it is safe for a call that does the same
 * thing twice without harm (the request may have reached Odoo).
 */
export class OdooError extends Error {
  override name = 'OdooError';
  /** Python class of the server-side exception, e.g. `odoo.exceptions.AccessError`, or a transport code. */
  readonly odooClass: string;
  readonly retryable: boolean;
  readonly idempotentRetryable: boolean;
  constructor(message: string, odooClass: string, opts: { retryable?: boolean; idempotentRetryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.odooClass = odooClass;
    this.retryable = opts.retryable ?? false;
    this.idempotentRetryable = opts.idempotentRetryable ?? this.retryable;
  }
}

/** Wrong login, password or API key, or a revoked key. Re-authenticating will not fix it by itself. */
export class OdooAuthError extends OdooError {
  override name = 'OdooAuthError';
}

/** The service user lacks a right (AccessError): a configuration problem for the Odoo admin. */
export class OdooAccessError extends OdooError {
  override name = 'OdooAccessError';
}

/** A business or validation refusal (UserError, ValidationError, MissingError): permanent for this input. */
export class OdooUserError extends OdooError {
  override name = 'OdooUserError';
}

/** Odoo could not be reached, timed out or answered with an HTTP error. */
export class OdooTransportError extends OdooError {
  override name = 'OdooTransportError';
}

/** Any other server-side exception, e.g. a serialization failure Odoo gave up retrying. */
export class OdooServerError extends OdooError {
  override name = 'OdooServerError';
}

interface RpcErrorData {
  name?: unknown;
  message?: unknown;
}

const TRANSIENT_SERVER_CLASSES = /SerializationFailure|LockNotAvailable|DeadlockDetected|OperationalError|InterfaceError/;

/** Maps a JSON-RPC `error` object to the ladder, keeping Odoo's class and message. */
export function fromRpcError(error: unknown): OdooError {
  const e = (error ?? {}) as { message?: unknown; data?: RpcErrorData };
  const cls = typeof e.data?.name === 'string' ? e.data.name : 'unknown';
  const message = typeof e.data?.message === 'string' && e.data.message ? e.data.message : String(e.message ?? 'Odoo error');
  return odooErrorFor(cls, message);
}

/**
 * The ladder's rung for a server-side Python exception class (`odoo.exceptions.AccessError`, ...), the
 * same for JSON-RPC and JSON-2. `reported` is the class the error keeps when it differs from the one
 * that decides the rung (JSON-2's werkzeug NotFound is a UserError to the caller).
 */
export function odooErrorFor(cls: string, message: string, reported = cls): OdooError {
  if (/AccessDenied$/.test(cls)) return new OdooAuthError(message, reported);
  if (/AccessError$/.test(cls)) return new OdooAccessError(message, reported);
  if (/(UserError|ValidationError|MissingError|RedirectWarning)$/.test(cls)) return new OdooUserError(message, reported);
  // Odoo already retries serialization failures itself; after that only the caller knows if a retry is safe.
  if (TRANSIENT_SERVER_CLASSES.test(cls)) return new OdooServerError(message, reported, { retryable: false, idempotentRetryable: true });
  return new OdooServerError(message, reported);
}
