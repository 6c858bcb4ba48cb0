import { isUtf8 } from 'node:buffer';
import { join } from 'node:path';
import * as protobuf from 'protobufjs';
import { PROTO_FILES, PROTO_ROOT } from './proto';
import { SERVICE_NAMES, type Family } from './families';

/**
 * What protobuf decoding lets through and the contract forbids, checked on the wire bytes before they
 * are decoded: a known field sent with another wire type (protobufjs reads it as its declared type
 * and the rest of the message goes askew, so the error lands on some later field), and a string that
 * is not valid UTF-8 (proto3 requires it; the decoder would put U+FFFD in its place). Walks the bytes
 * with the message types of the protos; unknown fields are skipped (forward compatible).
 */

export interface WireViolation {
  /** Dotted path with [index], as the schemas name fields ("telemetry.readings[0].scan.data"). */
  path: string;
  message: string;
}

const WIRE_NAMES = ['varint', '64-bit', 'length-delimited', 'start group', 'end group', '32-bit'];
const SCALAR_WIRE: Record<string, number> = {
  double: 1, fixed64: 1, sfixed64: 1,
  float: 5, fixed32: 5, sfixed32: 5,
  int32: 0, uint32: 0, sint32: 0, int64: 0, uint64: 0, sint64: 0, bool: 0,
};

interface FieldPlan {
  name: string;
  repeated: boolean;
  /** Expected wire type; 2 for strings, bytes and messages. */
  wire: number;
  kind: 'scalar' | 'string' | 'bytes' | 'message';
  message?: MessagePlan;
}
type MessagePlan = Map<number, FieldPlan>;

function planOf(type: protobuf.Type, plans: Map<protobuf.Type, MessagePlan>): MessagePlan {
  const hit = plans.get(type);
  if (hit) return hit;
  const plan: MessagePlan = new Map();
  plans.set(type, plan);
  for (const f of type.fieldsArray) {
    f.resolve();
    const rt = f.resolvedType;
    if (rt instanceof protobuf.Type) plan.set(f.id, { name: f.name, repeated: f.repeated, wire: 2, kind: 'message', message: planOf(rt, plans) });
    else if (rt instanceof protobuf.Enum) plan.set(f.id, { name: f.name, repeated: f.repeated, wire: 0, kind: 'scalar' });
    else if (f.type === 'string') plan.set(f.id, { name: f.name, repeated: f.repeated, wire: 2, kind: 'string' });
    else if (f.type === 'bytes') plan.set(f.id, { name: f.name, repeated: f.repeated, wire: 2, kind: 'bytes' });
    else plan.set(f.id, { name: f.name, repeated: f.repeated, wire: SCALAR_WIRE[f.type] ?? 0, kind: 'scalar' });
  }
  return plan;
}

function walk(buf: Uint8Array, start: number, end: number, plan: MessagePlan, prefix: string): WireViolation | undefined {
  const reader = protobuf.Reader.create(buf.subarray(start, end));
  const counts = new Map<number, number>();
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const id = tag >>> 3;
    const wire = tag & 7;
    const field = plan.get(id);
    if (!field) {
      reader.skipType(wire);
      continue;
    }
    const index = counts.get(id) ?? 0;
    counts.set(id, index + 1);
    const path = `${prefix}${prefix ? '.' : ''}${field.name}${field.repeated ? `[${index}]` : ''}`;
    // Repeated scalars may come packed (length-delimited) as well as one by one.
    const packed = field.repeated && field.kind === 'scalar' && wire === 2;
    if (wire !== field.wire && !packed) {
      return { path: field.repeated ? `${prefix}${prefix ? '.' : ''}${field.name}` : path, message: `sent as ${WIRE_NAMES[wire] ?? `wire type ${wire}`}, the protos declare ${WIRE_NAMES[field.wire]}` };
    }
    if (wire !== 2) {
      reader.skipType(wire);
      continue;
    }
    const len = reader.uint32();
    const from = start + reader.pos;
    reader.skip(len);
    if (field.kind === 'string' && !isUtf8(buf.subarray(from, from + len))) return { path, message: 'is not valid UTF-8' };
    if (field.kind === 'message' && field.message) {
      const inner = walk(buf, from, from + len, field.message, path);
      if (inner) return inner;
    }
  }
  return undefined;
}

let plans: Record<Family, MessagePlan> | undefined;

function loadPlans(): Record<Family, MessagePlan> {
  if (plans) return plans;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(PROTO_ROOT, target);
  root.loadSync(PROTO_FILES, { keepCase: true });
  root.resolveAll();
  const cache = new Map<protobuf.Type, MessagePlan>();
  const requestOf = (f: Family) => {
    const service = root.lookupService(`logistics.device.v1.${SERVICE_NAMES[f]}`);
    const method = service.methods.Connect;
    if (!method) throw new Error(`${SERVICE_NAMES[f]} has no Connect`);
    return planOf(root.lookupType(method.requestType), cache);
  };
  plans = { barcode: requestOf('barcode'), sorter: requestOf('sorter'), robot_fleet: requestOf('robot_fleet') };
  return plans;
}

/**
 * The first wire-level violation of an adapter message of `family` (its Connect request type), or
 * undefined. Bytes protobuf cannot read at all throw (as decoding them would).
 */
export function wireViolation(family: Family, bytes: Uint8Array): WireViolation | undefined {
  return walk(bytes, 0, bytes.length, loadPlans()[family], '');
}
