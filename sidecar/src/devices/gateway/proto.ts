import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import { SERVICE_NAMES, type Family } from '../contract';

/**
 * The protos live at the repository root: proto/logistics/device/v1. From the sources that is four
 * levels up; from the tsc output (dist/sidecar/src/devices/gateway, as sidecar/Dockerfile runs it) five.
 */
export const PROTO_ROOT = [join(__dirname, '..', '..', '..', '..', 'proto'), join(__dirname, '..', '..', '..', '..', '..', 'proto')].find((d) =>
  existsSync(join(d, 'logistics', 'device', 'v1', 'common.proto')),
) ?? join(__dirname, '..', '..', '..', '..', 'proto');
export const PROTO_FILES = ['logistics/device/v1/barcode.proto', 'logistics/device/v1/sorter.proto', 'logistics/device/v1/robot_fleet.proto'];
/** The loader options of the contract: keep field names, 64-bit integers and enums as strings, defaults, oneof case fields. */
export const LOADER_OPTIONS: Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [PROTO_ROOT] };

/** Marks a message grpc-js could not decode, so the stream can reject it instead of dying. */
export interface Undecodable {
  kind: '__undecodable';
  error: string;
}

type ServiceCtor = { service: ServiceDefinition };

let cached: Record<Family, ServiceDefinition> | undefined;

/** The three service definitions, loaded once. Clients (SDK, tests, bench) load the same way. */
export function loadServices(): Record<Family, ServiceDefinition> {
  if (cached) return cached;
  const pkg = loadPackageDefinition(loadSync(PROTO_FILES, LOADER_OPTIONS)) as unknown as { logistics: { device: { v1: Record<string, ServiceCtor> } } };
  const v1 = pkg.logistics.device.v1;
  const get = (f: Family) => {
    const ctor = v1[SERVICE_NAMES[f]];
    if (!ctor) throw new Error(`service ${SERVICE_NAMES[f]} missing from the protos`);
    return ctor.service;
  };
  cached = { barcode: get('barcode'), sorter: get('sorter'), robot_fleet: get('robot_fleet') };
  return cached;
}

/**
 * The server side of a service whose requests reach the handler as their wire bytes, plus the decoder
 * the handler applies (protobuf -> proto-loader object). Decoding in the handler instead of inside
 * grpc-js means what grpc-js buffers ahead of a paused stream is compact wire bytes, the session knows
 * each message's size for the gateway budget, and bytes protobuf cannot decode become an Undecodable
 * marker (answered with a Reject) rather than an INTERNAL status that ends the call.
 */
export function lazyService(def: ServiceDefinition): { definition: ServiceDefinition; decode: (bytes: Buffer) => unknown } {
  const out: Record<string, ServiceDefinition[string]> = {};
  let decode: (bytes: Buffer) => unknown = () => ({ kind: '__undecodable', error: 'no method' });
  for (const [name, method] of Object.entries(def)) {
    out[name] = { ...method, requestDeserialize: (bytes: Buffer) => bytes };
    decode = (bytes: Buffer) => {
      try {
        return method.requestDeserialize(bytes);
      } catch (err) {
        const marker: Undecodable = { kind: '__undecodable', error: err instanceof Error ? err.message : 'cannot decode' };
        return marker;
      }
    };
  }
  return { definition: out, decode };
}
