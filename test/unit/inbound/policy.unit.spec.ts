import assert from 'node:assert/strict';
import { checkErpUpdate, type ErpUpdate } from '../../../sidecar/src/devices/contract';
import {
  ApplyProtocolError,
  batchRetryDelay,
  classifyBatchFailure,
  decodeUpdate,
  nextFlush,
  outcomeOf,
  parseApplyResults,
  takeBatch,
  type RetryPolicy,
} from '../../../sidecar/src/inbound';
import { OdooAccessError, OdooAuthError, OdooServerError, OdooTransportError, OdooUserError } from '../../../sidecar/src/odoo';

const sorted: ErpUpdate = {
  idempotency_key: 'sorter-a:sorter-1:4711',
  type: 'parcel.sorted',
  adapter_id: 'sorter-a',
  device_id: 'sorter-1',
  correlation_id: null,
  event_time: '2026-01-01T00:00:00.000Z',
  payload: { sscc: '376104250021234569', chute: 'C7', lane: 'L1', picking: { name: 'WH/OUT/00012' } },
};
const body = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('inbound applier: message bodies', () => {
  it('accepts the body docs/gateway.md documents, unchanged', () => {
    const d = decodeUpdate(body(sorted));
    assert.ok(d.ok);
    assert.deepEqual(d.update, sorted);
  });

  it('accepts every update type in the shape the addon applies', () => {
    const base = { idempotency_key: 'k:1', adapter_id: 'a', device_id: 'd', correlation_id: 'S00001', event_time: '2026-01-01T10:00:00+01:00' };
    const payloads: Record<string, unknown> = {
      'device.status': { status: 'online', family: 'sorter', warehouse: 'WH' },
      'pick.confirmed': { picking: { id: 4 }, lines: [{ product: { barcode: '4006381333931' }, quantity: 2, location: { name: 'WH/Stock' } }] },
      'pack.completed': { picking: { name: 'WH/OUT/1' }, sscc: '376104250021234569', weight_kg: 1.5 },
      'shipment.labelled': { picking: { id: 4 }, carrier: 'DHL', tracking_number: 'JD0001' },
      'shipment.dispatched': { picking: { id: 4 }, backorder: 'cancel' },
      'receipt.counted': { picking: { id: 5 }, lines: [{ product: { default_code: 'W-1' }, quantity: 3, lot: 'L1' }] },
      'task.failed': { reason: 'robot blocked', code: 'E42' },
      'inventory.counted': { product: { id: 9 }, location: { barcode: 'A-01' }, quantity: 0 },
    };
    for (const [type, payload] of Object.entries(payloads)) {
      const r = checkErpUpdate({ ...base, type, payload });
      assert.ok(r.ok, `${type}: ${r.ok ? '' : `${r.path} ${r.message}`}`);
    }
  });

  it('names the field of a bad body, and never calls a non-JSON body valid', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...sorted, payload: { ...sorted.payload, sscc: '376104250021234560' } }, /^payload\.sscc: SSCC check digit is wrong$/],
      [{ ...sorted, idempotency_key: '' }, /^idempotency_key: /],
      [{ ...sorted, type: 'parcel.teleported' }, /^type: unknown update type/],
      [{ ...sorted, event_time: 'yesterday' }, /^event_time: required: ISO 8601/],
      [{ ...sorted, type: 'pick.confirmed', payload: { picking: { id: 4 }, lines: [{ product: { id: 1 }, quantity: -1 }] } }, /^payload\.lines\[0\]\.quantity: must be > 0$/],
      [{ ...sorted, type: 'pick.confirmed', payload: { picking: { id: 4 }, lines: [] } }, /^payload\.lines: required: at least one line$/],
      [{ ...sorted, payload: { ...sorted.payload, picking: { ref: 'WH/OUT/1' } } }, /^payload\.picking: expected \{"id"\} or \{"name"\}$/],
    ];
    for (const [raw, reason] of cases) {
      const d = decodeUpdate(body(raw));
      assert.equal(d.ok, false, JSON.stringify(raw));
      if (!d.ok) assert.match(d.reason, reason);
    }
    const notJson = decodeUpdate(Buffer.from('{"idempotency_key": '));
    assert.ok(!notJson.ok && /^body is not JSON/.test(notJson.reason));
  });
});

describe('inbound applier: Odoo answers', () => {
  it('takes one result per update, in order', () => {
    const r = parseApplyResults(['a', 'b'], [
      { idempotency_key: 'a', status: 'applied', update_id: 1 },
      { idempotency_key: 'b', status: 'rejected', reason: 'unknown product' },
    ]);
    assert.deepEqual(r.map((x) => x.status), ['applied', 'rejected']);
  });
  it('refuses an answer that does not line up with the batch', () => {
    assert.throws(() => parseApplyResults(['a', 'b'], [{ idempotency_key: 'a', status: 'applied' }]), ApplyProtocolError);
    assert.throws(() => parseApplyResults(['a', 'b'], [{ idempotency_key: 'b', status: 'applied' }, { idempotency_key: 'a', status: 'applied' }]), /result 0 is for "b"/);
    assert.throws(() => parseApplyResults(['a'], [{ idempotency_key: 'a', status: 'done' }]), ApplyProtocolError);
    assert.throws(() => parseApplyResults(['a'], { a: 'applied' }), ApplyProtocolError);
  });

  const policy: RetryPolicy = { maxAttempts: 3, backoff: { baseMs: 100, maxMs: 1_000 } };
  it('acks applied and duplicate, dead-letters rejected with the reason', () => {
    assert.deepEqual(outcomeOf({ idempotency_key: 'a', status: 'applied' }, 0, policy), { kind: 'ack', status: 'applied' });
    assert.deepEqual(outcomeOf({ idempotency_key: 'a', status: 'duplicate' }, 2, policy), { kind: 'ack', status: 'duplicate' });
    assert.deepEqual(outcomeOf({ idempotency_key: 'a', status: 'rejected', reason: 'unknown product {"barcode": "x"}' }, 0, policy), { kind: 'dead', stage: 'rejected', reason: 'unknown product {"barcode": "x"}' });
  });
  it('retries with a growing backoff, then dead-letters after the last attempt', () => {
    const retry = { idempotency_key: 'a', status: 'retry' as const, reason: 'could not serialize access' };
    assert.deepEqual(outcomeOf(retry, 0, policy, () => 0), { kind: 'retry', attempt: 1, delayMs: 50, reason: 'could not serialize access' });
    assert.deepEqual(outcomeOf(retry, 1, policy, () => 1), { kind: 'retry', attempt: 2, delayMs: 200, reason: 'could not serialize access' });
    const last = outcomeOf(retry, 2, policy);
    assert.equal(last.kind, 'dead');
    assert.ok(last.kind === 'dead' && last.stage === 'retries' && /after 3 attempts: could not serialize/.test(last.reason));
  });

  it('waits on Odoo down, credentials and rights; isolates an update Odoo raises on', () => {
    assert.deepEqual(classifyBatchFailure(new OdooTransportError('ECONNREFUSED', 'ECONNREFUSED')), { kind: 'wait', why: 'transport' });
    assert.deepEqual(classifyBatchFailure(new OdooAuthError('denied', 'odoo.exceptions.AccessDenied')), { kind: 'wait', why: 'auth' });
    assert.deepEqual(classifyBatchFailure(new OdooAccessError('no', 'odoo.exceptions.AccessError')), { kind: 'wait', why: 'access' });
    assert.deepEqual(classifyBatchFailure(new OdooServerError('lock', 'psycopg2.errors.SerializationFailure', { idempotentRetryable: true })), { kind: 'wait', why: 'server' });
    assert.deepEqual(classifyBatchFailure(new ApplyProtocolError('x')), { kind: 'wait', why: 'protocol' });
    assert.deepEqual(classifyBatchFailure(new OdooUserError('bad', 'odoo.exceptions.UserError')), { kind: 'isolate' });
    assert.deepEqual(classifyBatchFailure(new OdooServerError('KeyError', 'builtins.KeyError')), { kind: 'isolate' });
  });
  it('backs off longer for credentials than for an outage, and never past the cap', () => {
    assert.ok(batchRetryDelay(1, 'auth', () => 0) > batchRetryDelay(1, 'transport', () => 0));
    for (let f = 1; f < 50; f++) assert.ok(batchRetryDelay(f, 'transport', () => 1) <= 15_000);
  });
});

describe('inbound applier: batching', () => {
  const timing = { size: 3, lingerMs: 20 };
  it('is idle with nothing, goes at once with a full batch, else after the linger', () => {
    assert.deepEqual(nextFlush([], 1000, timing), { kind: 'idle' });
    assert.deepEqual(nextFlush([{ readyAt: 1000 }, { readyAt: 1000 }, { readyAt: 1001 }], 1001, timing), { kind: 'now' });
    assert.deepEqual(nextFlush([{ readyAt: 1000 }, { readyAt: 1005 }], 1005, timing), { kind: 'wait', ms: 15, lingering: true });
    assert.deepEqual(nextFlush([{ readyAt: 1000 }], 1020, timing), { kind: 'now' });
  });
  it('waits for the first retry to become due when nothing else is ready', () => {
    assert.deepEqual(nextFlush([{ readyAt: 1500 }, { readyAt: 1200 }], 1000, timing), { kind: 'wait', ms: 200, lingering: false });
    assert.deepEqual(nextFlush([{ readyAt: 1500 }, { readyAt: 990 }], 1000, timing), { kind: 'wait', ms: 10, lingering: true });
  });
  it('takes ready items in arrival order up to the size, and leaves the rest in order', () => {
    const pending = [1, 2, 3, 4, 5].map((n) => ({ n, readyAt: n === 2 ? 9_999 : 0 }));
    const batch = takeBatch(pending, 100, 3);
    assert.deepEqual(batch.map((b) => b.n), [1, 3, 4]);
    assert.deepEqual(pending.map((b) => b.n), [2, 5]);
  });
  it('with zero linger, a lone update goes at once', () => {
    assert.deepEqual(nextFlush([{ readyAt: 5 }], 5, { size: 200, lingerMs: 0 }), { kind: 'now' });
  });
});
