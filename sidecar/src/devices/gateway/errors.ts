import { status } from '@grpc/grpc-js';
import { ContractViolation } from '@logistics-bridge/contract';

/**
 * The gateway's error ladder. Code that finds a problem throws (or returns) one of these; the edge maps
 * it to a gRPC status exactly once (`toGrpcStatus`), either as a per-message Reject on the stream or,
 * for session-level problems, as the status that ends the call.
 */
export class GatewayError extends Error {
  override readonly name: string = 'GatewayError';
  constructor(
    readonly code: status,
    message: string,
    /** Dotted field path with [index], e.g. "update.pick_confirmed.lines[0].quantity". */
    readonly fieldPath = '',
    /** The adapter may send the same content again later (new sequence, same idempotency key). */
    readonly retryable = false,
  ) {
    super(message);
  }
}

export class InvalidArgument extends GatewayError {
  override readonly name = 'InvalidArgument';
  constructor(fieldPath: string, message: string) {
    super(status.INVALID_ARGUMENT, message, fieldPath);
  }
}

export class Unauthenticated extends GatewayError {
  override readonly name = 'Unauthenticated';
  constructor(message: string) {
    super(status.UNAUTHENTICATED, message);
  }
}

export class PermissionDenied extends GatewayError {
  override readonly name = 'PermissionDenied';
  constructor(message: string, fieldPath = '') {
    super(status.PERMISSION_DENIED, message, fieldPath);
  }
}

export class RateLimited extends GatewayError {
  override readonly name = 'RateLimited';
  constructor(message: string) {
    super(status.RESOURCE_EXHAUSTED, message, '', true);
  }
}

export class Unavailable extends GatewayError {
  override readonly name = 'Unavailable';
  constructor(message: string) {
    super(status.UNAVAILABLE, message, '', true);
  }
}

/** The gRPC status name of a code, e.g. 3 -> "INVALID_ARGUMENT". */
export function statusName(code: status): string {
  return status[code] ?? 'UNKNOWN';
}

/**
 * Any thrown value as a GatewayError: a contract violation is INVALID_ARGUMENT with its field path;
 * unknown errors become INTERNAL without leaking their text.
 */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof ContractViolation) return new InvalidArgument(err.path, err.message);
  return new GatewayError(status.INTERNAL, 'internal error');
}

/** The `{code, details}` object grpc-js expects when ending a call with an error status. */
export function toGrpcStatus(err: GatewayError): { code: status; details: string } {
  return { code: err.code, details: err.fieldPath ? `${err.fieldPath}: ${err.message}` : err.message };
}
