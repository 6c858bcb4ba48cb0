import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import * as protobuf from 'protobufjs';
import type { z } from 'zod';
import { FAMILIES, PROTO_FILES, PROTO_ROOT, SCHEMA_ROOTS, SERVICE_NAMES } from '@logistics-bridge/contract';

/**
 * The zod schemas of adapter messages and the protos held together: walking both from the Connect
 * request types, every field (and oneof) of every adapter message is known to the schema and every
 * schema key is a proto field, and every enum field accepts exactly the proto's values (an enum may
 * leave out its *_UNSPECIFIED value where the field is REQUIRED). A proto change cannot drift silently.
 */

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(PROTO_ROOT, target);
  root.loadSync(PROTO_FILES, { keepCase: true });
  root.resolveAll();
  return root;
}

interface Def {
  type: string;
  in?: z.ZodType;
  innerType?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
  entries?: Record<string, string>;
  values?: unknown[];
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The object schemas a schema stands for, through pipes, optionals, arrays and unions. */
function objects(s: z.ZodType): Array<Record<string, z.ZodType>> {
  const d = defOf(s);
  if (d.type === 'object' && d.shape) return [d.shape];
  if (d.type === 'pipe' && d.in) return objects(d.in);
  if ((d.type === 'optional' || d.type === 'nullable' || d.type === 'default') && d.innerType) return objects(d.innerType);
  if (d.type === 'array' && d.element) return objects(d.element);
  if (d.type === 'union' && d.options) return d.options.flatMap(objects);
  return [];
}

/** The string values an enum-like schema accepts. */
function enumValues(s: z.ZodType): string[] {
  const d = defOf(s);
  if (d.type === 'enum' && d.entries) return Object.values(d.entries);
  if (d.type === 'literal' && d.values) return d.values.map(String);
  if (d.type === 'pipe' && d.in) return enumValues(d.in);
  if ((d.type === 'optional' || d.type === 'nullable' || d.type === 'default') && d.innerType) return enumValues(d.innerType);
  if (d.type === 'union' && d.options) return d.options.flatMap(enumValues);
  return [];
}

/** Compares one proto message with its schema; recurses into message fields; returns the differences. */
function compare(type: protobuf.Type, schema: z.ZodType, path: string, seen: Set<string>, out: string[]): void {
  const key = `${type.fullName}@${path}`;
  if (seen.has(key)) return;
  seen.add(key);
  const shapes = objects(schema);
  const keys = new Set(shapes.flatMap((s) => Object.keys(s)));
  // proto3 `optional` makes a synthetic oneof "_<field>": not a field of the message.
  const oneofs = type.oneofsArray.filter((o) => !(o.fieldsArray.length === 1 && o.name === `_${o.fieldsArray[0]?.name}`));
  const protoKeys = new Set([...type.fieldsArray.map((f) => f.name), ...oneofs.map((o) => o.name)]);
  for (const k of protoKeys) if (!keys.has(k)) out.push(`${path}.${k}: in ${type.name} (proto) but not in the schema`);
  for (const k of keys) if (!protoKeys.has(k)) out.push(`${path}.${k}: in the schema but not in ${type.name} (proto)`);
  for (const f of type.fieldsArray) {
    const fieldSchemas = shapes.map((s) => s[f.name]).filter((s): s is z.ZodType => s !== undefined);
    if (fieldSchemas.length === 0) continue;
    const rt = f.resolvedType;
    // A message field the schema only allows unset (z.null(): "only pick_confirmed lines take a
    // location") is known and refused: there is nothing inside it to compare.
    if (rt instanceof protobuf.Type) for (const fs of fieldSchemas) if (objects(fs).length > 0 || defOf(fs).type !== 'optional') compare(rt, fs, `${path}.${f.name}`, seen, out);
    if (rt instanceof protobuf.Enum) {
      const proto = Object.keys(rt.values).sort();
      for (const fs of fieldSchemas) {
        const accepted = new Set(enumValues(fs));
        const missing = proto.filter((v) => !accepted.has(v) && !(v.endsWith('_UNSPECIFIED') && v === proto.find((p) => rt.values[p] === 0)));
        const extra = [...accepted].filter((v) => !proto.includes(v));
        if (missing.length) out.push(`${path}.${f.name}: enum ${rt.name} values ${missing.join(', ')} not accepted by the schema`);
        if (extra.length) out.push(`${path}.${f.name}: the schema accepts ${extra.join(', ')}, not values of enum ${rt.name}`);
      }
    }
  }
}

/** Every difference between the protos and the schemas. */
export function drift(root: protobuf.Root): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const family of FAMILIES) {
    const method = root.lookupService(`logistics.device.v1.${SERVICE_NAMES[family]}`).methods.Connect;
    assert.ok(method);
    const request = root.lookupType(method.requestType);
    // The adapter message: oneof kind { hello, telemetry, update, work_ack }, dispatched by parseAdapterMessage.
    const names = request.fieldsArray.map((f) => f.name).sort();
    if (names.join() !== 'hello,telemetry,update,work_ack') out.push(`${request.name}: fields ${names.join(', ')}, the schemas handle hello, telemetry, update, work_ack`);
    const field = (name: string) => request.fields[name]?.resolvedType;
    const hello = field('hello');
    const telemetry = field('telemetry');
    const update = field('update');
    if (hello instanceof protobuf.Type) compare(hello, SCHEMA_ROOTS.hello, 'hello', seen, out);
    const ack = field('work_ack');
    if (ack instanceof protobuf.Type) compare(ack, SCHEMA_ROOTS.workAck, 'work_ack', seen, out);
    if (telemetry instanceof protobuf.Type) compare(telemetry, SCHEMA_ROOTS.telemetry[family], `${family}.telemetry`, seen, out);
    if (update instanceof protobuf.Type) {
      const cases = update.oneofs.payload?.fieldsArray.map((f) => f.name).sort() ?? [];
      const known = [...SCHEMA_ROOTS.payloadCases].sort();
      if (cases.join() !== known.join()) out.push(`update.payload: the proto has ${cases.join(', ')}, the schemas ${known.join(', ')}`);
      const rest = update.fieldsArray.filter((f) => !update.oneofs.payload?.fieldsArray.includes(f)).map((f) => f.name);
      if (rest.join() !== 'envelope') out.push(`update: fields besides the payload are ${rest.join(', ')}, the schemas handle envelope`);
      const envelope = update.fields.envelope?.resolvedType;
      if (envelope instanceof protobuf.Type) compare(envelope, SCHEMA_ROOTS.updateEnvelope, 'update.envelope', seen, out);
      for (const c of cases) {
        const t = update.fields[c]?.resolvedType;
        const schema = SCHEMA_ROOTS.payloads[c as keyof typeof SCHEMA_ROOTS.payloads];
        if (t instanceof protobuf.Type && schema) compare(t, schema, `update.${c}`, seen, out);
      }
    }
  }
  return [...new Set(out)];
}

describe('contract: the zod schemas and the protos agree', () => {
  it('knows every field, oneof and enum value of every adapter message, and nothing else', () => {
    assert.deepEqual(drift(loadRoot()), []);
  });

  it('notices a field added to the protos alone, and an enum value added alone', () => {
    const root = loadRoot();
    root.lookupType('logistics.device.v1.ScanReading').add(new protobuf.Field('weight_kg', 99, 'double'));
    root.lookupEnum('logistics.device.v1.SorterEvent.Kind').add('KIND_LOST', 99);
    root.resolveAll();
    const found = drift(root);
    assert.ok(found.some((d) => d.includes('barcode.telemetry.readings.scan.weight_kg: in ScanReading (proto) but not in the schema')), found.join('\n'));
    assert.ok(found.some((d) => d.includes('KIND_LOST not accepted')), found.join('\n'));
  });
});
