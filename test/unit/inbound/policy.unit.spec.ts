import assert from 'node:assert/strict';
import { checkErpUpdate, type ErpUpdate } from '@logistics-bridge/contract';
import {
  ApplyProtocolError,
  batchRetryDelay,
  classifyBatchFailure,
  decodeUpdate,
  orderKey,
  outcomeOf,
  parseApplyResults,
  planBatch,
  withoutBatch,
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

describe('inbound applier: batching and order', () => {
  const timing = { size: 3, lingerMs: 20 };
  type Item = { n: number; key: string; readyAt: number };
  const item = (n: number, key = `k${n}`, readyAt = 1000): Item => ({ n, key, readyAt });
  const plan = (pending: Item[], now: number, busy: string[] = [], t = timing) => planBatch(pending, now, t, new Set(busy), (i) => i.key);
  const ns = (p: ReturnType<typeof plan>) => (p.kind === 'now' ? p.batch.map((i) => i.n) : p);

  it('is idle with nothing, goes at once with a full batch, else after the linger of the oldest', () => {
    assert.deepEqual(plan([], 1000), { kind: 'idle' });
    assert.deepEqual(ns(plan([item(1), item(2), item(3, 'k3', 1001), item(4)], 1001)), [1, 2, 3]);
    assert.deepEqual(plan([item(1), item(2, 'k2', 1005)], 1005), { kind: 'wait', ms: 15, lingering: true });
    assert.deepEqual(ns(plan([item(1)], 1020)), [1]);
    assert.deepEqual(ns(plan([item(1, 'a', 5)], 5, [], { size: 200, lingerMs: 0 })), [1], 'zero linger: a lone update goes at once');
  });

  it('waits for the first retry to become due when nothing else can go', () => {
    assert.deepEqual(plan([item(1, 'a', 1500), item(2, 'b', 1200)], 1000), { kind: 'wait', ms: 200, lingering: false });
  });

  it('never puts a key in two batches in flight, nor an update past an earlier one of its key waiting for a retry', () => {
    const pending = [item(1, 'p1', 5000), item(2, 'p1'), item(3, 'p2'), item(4, 'p3'), item(5, 'p2'), item(6, 'p4')];
    // p1 waits for a retry (so 2 waits behind it), p3 is in flight.
    assert.deepEqual(ns(plan(pending, 1100, ['p3'])), [3, 5, 6]);
    assert.deepEqual(plan([item(1, 'p3')], 1100, ['p3']), { kind: 'idle' }, 'only the batch in flight can unblock it');
  });

  it('removes the batch and keeps the rest in queue order', () => {
    const pending = [1, 2, 3, 4, 5].map((n) => item(n));
    const p = plan(pending, 2000);
    assert.ok(p.kind === 'now');
    assert.deepEqual(withoutBatch(pending, p.batch).map((i) => i.n), [4, 5]);
  });

  it('orders by picking, then SSCC, quant, or device', () => {
    const u = (type: string, payload: unknown) => ({ ...sorted, type, payload }) as ErpUpdate;
    assert.equal(orderKey(u('pick.confirmed', { picking: { id: 4 }, lines: [] })), 'picking#4');
    assert.equal(orderKey(u('parcel.sorted', { sscc: '376104250021234569', chute: 'C', picking: { name: 'WH/OUT/1' } })), 'picking:WH/OUT/1');
    assert.equal(orderKey(u('parcel.sorted', { sscc: '376104250021234569', chute: 'C' })), 'sscc:376104250021234569');
    assert.equal(orderKey(u('inventory.counted', { product: { id: 1 }, location: { id: 8 }, quantity: 1 })), 'quant:{"id":1}@{"id":8}');
    assert.equal(orderKey(u('device.status', { status: 'online' })), 'device:sorter-a/sorter-1');
    assert.equal(orderKey(u('task.failed', { reason: 'x' })), 'device:sorter-a/sorter-1');
  });
});
