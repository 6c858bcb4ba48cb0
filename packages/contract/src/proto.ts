import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import { SERVICE_NAMES, type Family } from './families';

/**
 * Where the protos are. Inside the repository (sources, tsc output, the sidecar image) that is the
 * top-level `proto/`, the source of truth, three levels up from src/ or dist/. An installed package
 * uses the copy it carries in its own `proto/` (the build and `npm pack` copy it from the top-level
 * folder; test/integration/adapter-sdk-package.int.spec.ts checks the packed copy is identical).
 */
const CANDIDATES = [join(__dirname, '..', '..', '..', 'proto'), join(__dirname, '..', 'proto')];
export const PROTO_ROOT = CANDIDATES.find((d) => existsSync(join(d, 'logistics', 'device', 'v1', 'common.proto'))) ?? (CANDIDATES[0] as string);
export const PROTO_FILES = ['logistics/device/v1/barcode.proto', 'logistics/device/v1/sorter.proto', 'logistics/device/v1/robot_fleet.proto'];
/** The loader options of the contract: keep field names, 64-bit integers and enums as strings, defaults, oneof case fields. */
export const LOADER_OPTIONS: Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [PROTO_ROOT] };

type ServiceCtor = { service: ServiceDefinition };
const cached = new Map<string, Record<Family, ServiceDefinition>>();

/** The three service definitions, loaded once per proto root. The gateway, the SDK, tests and benches load the same way. */
export function loadServices(protoRoot: string = PROTO_ROOT): Record<Family, ServiceDefinition> {
  const hit = cached.get(protoRoot);
  if (hit) return hit;
  const pkg = loadPackageDefinition(loadSync(PROTO_FILES, { ...LOADER_OPTIONS, includeDirs: [protoRoot] })) as unknown as { logistics: { device: { v1: Record<string, ServiceCtor> } } };
  const v1 = pkg.logistics.device.v1;
  const get = (f: Family) => {
    const ctor = v1[SERVICE_NAMES[f]];
    if (!ctor) throw new Error(`service ${SERVICE_NAMES[f]} missing from the protos`);
    return ctor.service;
  };
  const out = { barcode: get('barcode'), sorter: get('sorter'), robot_fleet: get('robot_fleet') };
  cached.set(protoRoot, out);
  return out;
}
