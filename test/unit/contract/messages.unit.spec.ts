import { strict as assert } from 'node:assert';
import { checkErpUpdate, ContractViolation, fieldPath, hasValidCheckDigit, parseAdapterMessage } from '@logistics-bridge/contract';

const env = (over: Record<string, unknown> = {}) => ({
  adapter_id: 'a-1',
  device_id: 'dev-1',
  sequence: '7',
  idempotency_key: 'a-1:dev-1:7',
  correlation_id: '',
  event_time_ms: '1767225600000',
  header_id: '0',
  ...over,
});

function invalid(fn: () => unknown): ContractViolation {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ContractViolation, `expected ContractViolation, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the message to be refused');
}

describe('contract: adapter message schemas', () => {
  it('turns an update into exactly the apply_batch body (type, ISO time, null correlation, no empty optionals)', () => {
    const parsed = parseAdapterMessage('barcode', {
      kind: 'update',
      update: {
        envelope: env(),
        payload: 'pick_confirmed',
        pick_confirmed: { picking: { ref: 'name', name: 'WH/OUT/00012' }, lines: [{ product: { ref: 'barcode', barcode: '4006381333931' }, quantity: 2, lot: '', location: null }] },
      },
    });
    assert.equal(parsed.kind, 'update');
    if (parsed.kind !== 'update') return;
    assert.deepEqual(parsed.update, {
      idempotency_key: 'a-1:dev-1:7',
      type: 'pick.confirmed',
      adapter_id: 'a-1',
      device_id: 'dev-1',
      correlation_id: null,
      event_time: '2026-01-01T00:00:00.000Z',
      payload: { picking: { name: 'WH/OUT/00012' }, lines: [{ product: { barcode: '4006381333931' }, quantity: 2 }] },
    });
  });

  it('maps enums of device.status and shipment.dispatched to the addon values', () => {
    const ds = parseAdapterMessage('sorter', { kind: 'update', update: { envelope: env(), payload: 'device_status', device_status: { status: 'STATUS_ERROR', family: 'FAMILY_SORTER', warehouse: 'WH', error: 'jam' } } });
    assert.deepEqual(ds.kind === 'update' && ds.update.payload, { status: 'error', family: 'sorter', warehouse: 'WH', error: 'jam' });
    const sd = parseAdapterMessage('sorter', { kind: 'update', update: { envelope: env(), payload: 'shipment_dispatched', shipment_dispatched: { picking: { ref: 'id', id: 42 }, backorder: 'BACKORDER_CANCEL', lines: [] } } });
    assert.deepEqual(sd.kind === 'update' && sd.update.payload, { picking: { id: 42 }, backorder: 'cancel' });
  });

  it('names the broken field with dotted path and [index]', () => {
    const e = invalid(() =>
      parseAdapterMessage('barcode', {
        kind: 'update',
        update: { envelope: env(), payload: 'receipt_counted', receipt_counted: { picking: { ref: 'id', id: 3 }, lines: [{ product: { ref: 'id', id: 1 }, quantity: 1, lot: '' }, { product: { ref: 'id', id: 0 }, quantity: 1, lot: '' }] } },
      }),
    );
    assert.equal(e.path, 'update.receipt_counted.lines[1].product.id');
    assert.equal(invalid(() => parseAdapterMessage('barcode', { kind: 'update', update: { envelope: env({ sequence: '0' }), payload: 'task_failed', task_failed: { reason: 'x', code: '', picking: null } } })).path, 'update.envelope.sequence');
    assert.equal(invalid(() => parseAdapterMessage('barcode', { kind: 'update', update: { envelope: env(), payload: 'task_failed', task_failed: { reason: '', code: '', picking: null } } })).path, 'update.task_failed.reason');
    assert.equal(invalid(() => parseAdapterMessage('barcode', { kind: 'update', update: { envelope: env() } })).path, 'update.payload');
    assert.equal(invalid(() => parseAdapterMessage('barcode', {})).path, 'kind');
    assert.equal(invalid(() => parseAdapterMessage('barcode', { kind: 'update', update: { envelope: null } })).path, 'update.envelope');
  });

  it('carries the product reference the work gave (work_ref) beside the oneof, alone or with a barcode to fall back on', () => {
    const pick = (product: Record<string, unknown>) =>
      parseAdapterMessage('barcode', { kind: 'update', update: { envelope: env(), payload: 'pick_confirmed', pick_confirmed: { picking: { ref: 'id', id: 5 }, lines: [{ product, quantity: 1, lot: '', location: null }] } } });
    const productOf = (m: ReturnType<typeof pick>) => (m.kind === 'update' ? (m.update.payload as { lines: Array<{ product: unknown }> }).lines[0]?.product : undefined);
    assert.deepEqual(productOf(pick({ ref: 'barcode', barcode: '4006381333931', work_ref: 'product.product:42' })), { barcode: '4006381333931', work_ref: 'product.product:42' });
    assert.deepEqual(productOf(pick({ work_ref: '42' })), { work_ref: '42' });
    // An adapter built before work_ref sends the proto default (''): the update is what it always was.
    assert.deepEqual(productOf(pick({ ref: 'barcode', barcode: '4006381333931', work_ref: '' })), { barcode: '4006381333931' });
    assert.equal(invalid(() => pick({ ref: 'barcode', barcode: '4006381333931', work_ref: 'stock.picking:3' })).path, 'update.pick_confirmed.lines[0].product.work_ref');
    assert.equal(invalid(() => pick({ work_ref: '' })).path, 'update.pick_confirmed.lines[0].product.ref');
  });

  it('accepts work_ref in the JSON update contract, and the refs without it as before', () => {
    const base = { idempotency_key: 'k-1', adapter_id: 'a-1', device_id: 'd-1', correlation_id: null, event_time: '2026-01-01T00:00:00Z', type: 'receipt.counted' };
    const counted = (product: unknown) => checkErpUpdate({ ...base, payload: { picking: { id: 3 }, lines: [{ product, quantity: 1 }] } });
    for (const product of [{ barcode: '4006381333931' }, { id: 4 }, { default_code: 'WID-1' }, { work_ref: 'product.product:4' }, { barcode: '4006381333931', work_ref: '4' }])
      assert.equal(counted(product).ok, true, JSON.stringify(product));
    const bad = counted({ barcode: '4006381333931', work_ref: 'product.product:x' });
    assert.equal(bad.ok, false);
    assert.equal(counted({ id: 4, work_ref: '4' }).ok, false, 'an id is already the reference');
  });

  it('verifies SSCC length and GS1 check digit', () => {
    assert.equal(hasValidCheckDigit('376104250021234569'), true);
    assert.equal(hasValidCheckDigit('376104250021234568'), false);
    const base = { chute: 'C1', lane: '', picking: null };
    const ok = parseAdapterMessage('sorter', { kind: 'update', update: { envelope: env(), payload: 'parcel_sorted', parcel_sorted: { ...base, sscc: '376104250021234569' } } });
    assert.equal(ok.kind, 'update');
    assert.equal(invalid(() => parseAdapterMessage('sorter', { kind: 'update', update: { envelope: env(), payload: 'parcel_sorted', parcel_sorted: { ...base, sscc: '376104250021234568' } } })).message, 'SSCC check digit is wrong');
    assert.equal(invalid(() => parseAdapterMessage('sorter', { kind: 'update', update: { envelope: env(), payload: 'parcel_sorted', parcel_sorted: { ...base, sscc: '37610425002123456' } } })).path, 'update.parcel_sorted.sscc');
  });

  it('validates telemetry readings of the family and hello', () => {
    const state = { time_ms: '1767225600000', robot_id: 'r-1', order_id: '', order_update_id: 0, last_node_id: '', driving: false, operating_mode: '', battery_charge: 150, agv_position: null, velocity: 0, action_states: [], errors: [], load_id: '', picking_name: '', task_id: '' };
    const e = invalid(() => parseAdapterMessage('robot_fleet', { kind: 'telemetry', telemetry: { envelope: env({ idempotency_key: '' }), readings: [{ reading: 'state', state: { ...state, battery_charge: 50 } }, { reading: 'state', state }] } }));
    assert.equal(e.path, 'telemetry.readings[1].state.battery_charge');
    assert.equal(invalid(() => parseAdapterMessage('robot_fleet', { kind: 'telemetry', telemetry: { envelope: env(), readings: [] } })).path, 'telemetry.readings');
    const h = parseAdapterMessage('sorter', { kind: 'hello', hello: { adapter_id: 'a-1', family: 'FAMILY_SORTER', stream_id: '', last_acked_sequence: '12', capabilities: [], vendor: '', model: '', software_version: '', warehouse: '' } });
    assert.deepEqual(h.kind === 'hello' && [h.hello.streamId, h.hello.family, h.hello.lastAckedSequence], ['a-1', 'sorter', 12]);
    assert.equal(invalid(() => parseAdapterMessage('sorter', { kind: 'hello', hello: { adapter_id: 'a-1', family: 'FAMILY_UNSPECIFIED', stream_id: '', last_acked_sequence: '0', capabilities: [], vendor: '', model: '', software_version: '', warehouse: '' } })).path, 'hello.family');
  });

  it('formats paths', () => {
    assert.equal(fieldPath('update', ['lines', 0, 'product']), 'update.lines[0].product');
    assert.equal(fieldPath('', ['a', 2]), 'a[2]');
  });
});
