import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import fc from 'fast-check';
import * as protobuf from 'protobufjs';
import { loadServices, PROTO_FILES, PROTO_ROOT } from '@logistics-bridge/contract';
import { AnswerQueue } from '../../../sidecar/src/devices/gateway/answers';
import { validate } from '../../../sidecar/src/devices/gateway/pipeline';
import { lazyService, type Undecodable } from '../../../sidecar/src/devices/gateway/proto';

/**
 * Generated input built from the protos: barcode telemetry whose scan readings set every field the
 * proto's ScanReading declares (read by reflection, so a new proto field is generated too), encoded by
 * the real service definition, mixed with malformed variants (unsafe sequences, heartbeat times past
 * year 9999, readings out of order, invalid UTF-8, a wrong wire type). Through the gateway's decode,
 * validation and sequence check: valid ones are never refused, lost or duplicated, malformed ones are
 * refused with INVALID_ARGUMENT and their path, and none of them poisons the stream position.
 */

const root = new protobuf.Root();
root.resolvePath = (_o, target) => join(PROTO_ROOT, target);
root.loadSync(PROTO_FILES, { keepCase: true });
root.resolveAll();
const ScanReading = root.lookupType('logistics.device.v1.ScanReading');

const T = 1_767_225_600_000;
const word = fc.stringMatching(/^[A-Za-z0-9ÄÖüß€ -]{0,12}$/);
/** A valid value for each ScanReading field, by its proto type and the contract's rules. */
function fieldArb(f: protobuf.Field): fc.Arbitrary<unknown> {
  if (f.name === 'time_ms') return fc.constant(undefined); // set in order below
  if (f.name === 'data') return fc.stringMatching(/^[A-Za-z0-9]{1,40}$/);
  if (f.name === 'device_id') return fc.constantFrom('', 'gun-1');
  if (f.resolvedType instanceof protobuf.Enum) return fc.constantFrom(...Object.keys(f.resolvedType.values));
  if (f.type === 'string') return word;
  if (f.type === 'bool') return fc.boolean();
  if (f.type === 'double' || f.type === 'float') return fc.double({ min: 0, max: 1000, noNaN: true });
  return fc.nat({ max: 1000 });
}
const scanArb = fc.record(Object.fromEntries(ScanReading.fieldsArray.map((f) => [f.name, fieldArb(f)])) as Record<string, fc.Arbitrary<unknown>>);

type Breakage = 'none' | 'unsafe_sequence' | 'heartbeat_year_10000' | 'out_of_order' | 'invalid_utf8' | 'wrong_wire_type';
const PATHS: Record<Exclude<Breakage, 'none'>, (n: number) => string> = {
  unsafe_sequence: () => 'telemetry.envelope.sequence',
  heartbeat_year_10000: (n) => `telemetry.readings[${n}].heartbeat.time_ms`,
  out_of_order: () => 'telemetry.readings[1].scan.time_ms',
  invalid_utf8: () => 'telemetry.envelope.correlation_id',
  wrong_wire_type: () => 'telemetry.envelope.event_time_ms',
};

const service = loadServices().barcode;
const { decode } = lazyService('barcode', service);
const encode = (m: unknown): Buffer => {
  const c = service.Connect;
  if (!c) throw new Error('no Connect');
  return c.requestSerialize(m);
};

function build(seq: number, scans: Array<Record<string, unknown>>, breakage: Breakage): { bytes: Buffer; path?: string } {
  const readings: Array<Record<string, unknown>> = scans.map((s, i) => ({ scan: { ...s, time_ms: String(T + seq * 10 + i) } }));
  const envelope = { adapter_id: 'scan-a', device_id: 'gun-1', sequence: String(seq), correlation_id: 'CORR', event_time_ms: String(T + seq * 10) };
  if (breakage === 'unsafe_sequence') envelope.sequence = String(2 ** 53 + seq * 2);
  if (breakage === 'heartbeat_year_10000') readings.push({ heartbeat: { device_id: 'gun-1', time_ms: '8640000000000000' } });
  if (breakage === 'out_of_order') readings.splice(0, 2, { scan: { ...scans[0], time_ms: String(T + seq * 10 + 5) } }, { scan: { ...scans[0], time_ms: String(T + seq * 10) } });
  const bytes = encode({ telemetry: { envelope, readings } });
  if (breakage === 'invalid_utf8') bytes[bytes.indexOf(Buffer.from('CORR'))] = 0xc3; // a lead byte followed by ASCII
  if (breakage === 'wrong_wire_type') {
    // Envelope.event_time_ms is field 6, a varint (tag 0x30): resend it as a 32-bit value (tag 0x35).
    const at = bytes.indexOf(0x30, bytes.indexOf(Buffer.from('CORR')) + 4);
    bytes[at] = 0x35;
  }
  return breakage === 'none' ? { bytes } : { bytes, path: PATHS[breakage](readings.length - 1) };
}

describe('gateway under generated input built from the protos (property)', () => {
  it('refuses exactly the malformed messages, with their path, and never poisons the stream position', () => {
    const entry = fc.record({
      scans: fc.array(scanArb, { minLength: 2, maxLength: 4 }),
      breakage: fc.constantFrom<Breakage>('none', 'none', 'none', 'unsafe_sequence', 'heartbeat_year_10000', 'out_of_order', 'invalid_utf8', 'wrong_wire_type'),
    });
    fc.assert(
      fc.property(fc.array(entry, { minLength: 20, maxLength: 60 }), (entries) => {
        const answers = new AnswerQueue(0);
        const acked: number[] = [];
        entries.forEach((e, i) => {
          const seq = i + 1;
          const { bytes, path } = build(seq, e.scans, e.breakage);
          const raw = decode(bytes);
          let refusedAt: string | undefined;
          let code: number | undefined;
          if ((raw as Undecodable).kind === '__undecodable') {
            refusedAt = (raw as Undecodable).path;
            code = status.INVALID_ARGUMENT;
          } else {
            const v = validate('barcode', raw as Record<string, unknown>);
            if ('error' in v) {
              refusedAt = v.error.fieldPath;
              code = v.error.code;
              answers.refusedSequence(v.seq);
            } else {
              assert.deepEqual(answers.check(v.envelope.sequence), { kind: 'next' }, `sequence ${seq} must still be next after what came before`);
              acked.push(v.envelope.sequence);
            }
          }
          if (path) {
            assert.equal(refusedAt, path, `${e.breakage} at ${seq}`);
            assert.equal(code, status.INVALID_ARGUMENT);
          } else assert.equal(refusedAt, undefined, `a valid message (${seq}) was refused at ${refusedAt}`);
        });
        const valid = entries.map((e, i) => (e.breakage === 'none' ? i + 1 : 0)).filter(Boolean);
        assert.deepEqual(acked, valid, 'every valid message passes once, in order');
      }),
      { numRuns: 60, seed: Number(process.env.FC_SEED ?? 20261201) },
    );
  });
});
