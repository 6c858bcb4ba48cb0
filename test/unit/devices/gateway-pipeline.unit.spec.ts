import { strict as assert } from 'node:assert';
import { status } from '@grpc/grpc-js';
import { loadServices, type Family } from '@logistics-bridge/contract';
import { GatewayError } from '../../../sidecar/src/devices/gateway';
import { derive, validate, type Valid } from '../../../sidecar/src/devices/gateway/pipeline';
import { lazyService, type Undecodable } from '../../../sidecar/src/devices/gateway/proto';
import { createRelevance } from '../../../sidecar/src/devices/relevance';

/**
 * The contract enforced exactly as written on every path of the gateway's ingest pipeline: the fast
 * path and the zod schemas alike, telemetry and updates alike, and the wire bytes before either.
 */

const T = 1_767_225_600_000;
const env = (over: Record<string, unknown> = {}) => ({ adapter_id: 'a-1', device_id: 'dev-1', sequence: '7', idempotency_key: '', correlation_id: '', event_time_ms: String(T), ...over });

/** Encoded and decoded by the real service definition, as the gateway's deserializer hands it over. */
function wire(family: Family, msg: unknown): Record<string, unknown> {
  const m = loadServices()[family].Connect;
  if (!m) throw new Error('no Connect');
  return m.requestDeserialize(m.requestSerialize(msg)) as Record<string, unknown>;
}

function refused(family: Family, msg: unknown): { path: string; code: number; seq: number } {
  const r = validate(family, wire(family, msg));
  assert.ok('error' in r, 'expected the message to be refused');
  return { path: r.error.fieldPath, code: r.error.code, seq: r.seq };
}

const scan = (over: Record<string, unknown> = {}) => ({ time_ms: String(T), data: '4006381333931', mode: 'SCAN_MODE_PICK', picking_name: 'WH/OUT/1', ...over });
const heartbeat = (over: Record<string, unknown> = {}) => ({ device_id: 'dev-1', time_ms: String(T), ...over });

describe('gateway ingest pipeline: the contract on every path', () => {
  it('refuses an envelope sequence at or above 2^53 on the telemetry fast path, naming the path and no sequence', () => {
    for (const sequence of ['9007199254740992', '9999999999999999']) {
      const r = refused('barcode', { telemetry: { envelope: env({ sequence }), readings: [{ scan: scan() }] } });
      assert.equal(r.code, status.INVALID_ARGUMENT);
      assert.equal(r.path, 'telemetry.envelope.sequence');
      assert.equal(r.seq, 0, 'an unsafe sequence must never become the stream position');
    }
    const ok = validate('barcode', wire('barcode', { telemetry: { envelope: env({ sequence: '9007199254740991' }), readings: [{ scan: scan() }] } }));
    assert.ok(!('error' in ok));
  });

  it('refuses a heartbeat time_ms past year 9999 with INVALID_ARGUMENT and its path', () => {
    const r = refused('sorter', { telemetry: { envelope: env(), readings: [{ heartbeat: heartbeat({ time_ms: '8640000000000000' }) }] } });
    assert.equal(r.code, status.INVALID_ARGUMENT);
    assert.equal(r.path, 'telemetry.readings[0].heartbeat.time_ms');
  });

  it('refuses readings out of time order (the protos: "readings must be in time order")', () => {
    const r = refused('barcode', { telemetry: { envelope: env(), readings: [{ scan: scan({ time_ms: String(T + 10) }) }, { scan: scan({ time_ms: String(T) }) }] } });
    assert.equal(r.path, 'telemetry.readings[1].scan.time_ms');
    const hb = refused('sorter', { telemetry: { envelope: env(), readings: [{ heartbeat: heartbeat({ time_ms: String(T + 10) }) }, { heartbeat: heartbeat({ time_ms: '0' }) }] } });
    assert.equal(hb.path, 'telemetry.readings[1].heartbeat.time_ms', 'an unset heartbeat time is the envelope time');
    const same = validate('barcode', wire('barcode', { telemetry: { envelope: env(), readings: [{ scan: scan() }, { scan: scan() }] } }));
    assert.ok(!('error' in same), 'equal times are in order');
  });

  it('refuses a sorter event.sscc that is not 18 digits', () => {
    for (const sscc of ['12345', 'ABCDEFGHIJKLMNOPQR']) {
      const r = refused('sorter', { telemetry: { envelope: env(), readings: [{ event: { time_ms: String(T), kind: 'KIND_DIVERTED', sscc, chute: 'C1' } }] } });
      assert.equal(r.path, 'telemetry.readings[0].event.sscc');
    }
  });

  it('refuses telemetry whose derived update breaks the update contract, before anything is acked', () => {
    const cases: Array<[string, Record<string, unknown>[]]> = [
      ['a 300-character scan', [{ scan: scan({ data: 'X'.repeat(300), confirmed: true }) }]],
      ['quantities that add up to Infinity', [{ scan: scan({ quantity: 1.7e308 }) }, { scan: scan({ quantity: 1.7e308, time_ms: String(T + 2000) }) }, { scan: scan({ data: 'WH/OUT/1', time_ms: String(T + 4000), confirmed: true }) }]],
    ];
    const robot = (status: string) => ({
      state: { time_ms: String(T), robot_id: 'r-1', task_id: 't-1', picking_name: 'WH/OUT/1', action_states: [{ action_id: 'a1', action_type: 'pick', action_status: status, result_description: 'product_id=0;quantity=1' }] },
    });
    {
      const v = validate('robot_fleet', wire('robot_fleet', { telemetry: { envelope: env({ device_id: 'r-1' }), readings: [robot('ACTION_STATUS_RUNNING'), robot('ACTION_STATUS_FINISHED')] } }));
      assert.ok(!('error' in v));
      assert.throws(
        () => derive(v as Valid, createRelevance({ family: 'robot_fleet' }), T),
        (err: unknown) => err instanceof GatewayError && err.code === status.INVALID_ARGUMENT && err.fieldPath === 'telemetry.readings[1]' && /product\.id/.test(err.message),
        'product_id=0',
      );
    }
    for (const [what, readings] of cases) {
      const v = validate('barcode', wire('barcode', { telemetry: { envelope: env(), readings } }));
      if ('error' in v) {
        assert.equal(v.error.code, status.INVALID_ARGUMENT, what);
        continue;
      }
      const relevance = createRelevance({ family: 'barcode' });
      assert.throws(
        () => derive(v as Valid, relevance, T),
        (err: unknown) => err instanceof GatewayError && err.code === status.INVALID_ARGUMENT && err.fieldPath.startsWith('telemetry.readings'),
        what,
      );
    }
  });

  describe('wire bytes', () => {
    const { decode } = lazyService('barcode', loadServices().barcode);
    const encode = (msg: unknown) => {
      const m = loadServices().barcode.Connect;
      if (!m) throw new Error('no Connect');
      return m.requestSerialize(msg);
    };

    it('refuses invalid UTF-8 in a free-text field with the field path (proto3 requires valid UTF-8)', () => {
      const good = encode({ telemetry: { envelope: env(), readings: [{ scan: scan({ operator_id: 'OPR' }) }] } });
      const at = good.indexOf(Buffer.from('OPR'));
      const bad = Buffer.from(good);
      bad[at] = 0xff; // not UTF-8 anywhere
      const out = decode(bad) as Undecodable;
      assert.equal(out.kind, '__undecodable');
      assert.equal(out.path, 'telemetry.readings[0].scan.operator_id');
      const fine = decode(encode({ telemetry: { envelope: env(), readings: [{ scan: scan({ operator_id: 'Zoë \uFFFD' }) }] } })) as Record<string, unknown>;
      assert.equal(fine.kind, 'telemetry', 'a U+FFFD sent as valid UTF-8 is text like any other');
    });

    it('reports a sequence sent with the wrong wire type under its own path', () => {
      const good = encode({ update: { envelope: env({ sequence: '7', idempotency_key: 'k-1' }), task_failed: { reason: 'x' } } });
      // Envelope.sequence is field 3 (varint, tag 0x18): resend it length-delimited (tag 0x1a).
      const at = good.indexOf(Buffer.from([0x18, 0x07]));
      assert.ok(at > 0);
      const bad = Buffer.from(good);
      bad[at] = 0x1a;
      bad[at + 1] = 0x00;
      const out = decode(bad) as Undecodable;
      assert.equal(out.kind, '__undecodable');
      assert.equal(out.path, 'update.envelope.sequence');
    });
  });
});
