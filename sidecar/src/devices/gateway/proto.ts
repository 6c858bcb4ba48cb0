import type { ServiceDefinition } from '@grpc/grpc-js';
import { wireViolation, type Family } from '@logistics-bridge/contract';

/** Marks a message grpc-js could not decode, so the stream can reject it instead of dying. */
export interface Undecodable {
  kind: '__undecodable';
  error: string;
  /** The field the bytes break the contract at (wire type, UTF-8), '' when protobuf cannot read them at all. */
  path: string;
}

/**
 * The server side of a service whose requests reach the handler as their wire bytes, plus the decoder
 * the handler applies (protobuf -> proto-loader object). Decoding in the handler instead of inside
 * grpc-js means what grpc-js buffers ahead of a paused stream is compact wire bytes, the session knows
 * each message's size for the gateway budget, and bytes protobuf cannot decode become an Undecodable
 * marker (answered with a Reject) rather than an INTERNAL status that ends the call. The bytes are
 * checked against the contract first (wire types, UTF-8; see the contract's wire.ts), so such a
 * message is refused naming its own field.
 */
export function lazyService(family: Family, def: ServiceDefinition): { definition: ServiceDefinition; decode: (bytes: Buffer) => unknown } {
  const out: Record<string, ServiceDefinition[string]> = {};
  let decode: (bytes: Buffer) => unknown = () => ({ kind: '__undecodable', error: 'no method', path: '' });
  for (const [name, method] of Object.entries(def)) {
    out[name] = { ...method, requestDeserialize: (bytes: Buffer) => bytes };
    decode = (bytes: Buffer) => {
      try {
        const violation = wireViolation(family, bytes);
        if (violation) {
          const marker: Undecodable = { kind: '__undecodable', error: violation.message, path: violation.path };
          return marker;
        }
        return method.requestDeserialize(bytes);
      } catch (err) {
        const marker: Undecodable = { kind: '__undecodable', error: err instanceof Error ? err.message : 'cannot decode', path: '' };
        return marker;
      }
    };
  }
  return { definition: out, decode };
}
