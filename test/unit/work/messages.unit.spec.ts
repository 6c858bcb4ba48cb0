import { strict as assert } from 'node:assert';
import { buildWork, parsePickingReady } from '../../../sidecar/src/work';

describe('gateway work (Flow 3) building', () => {
  const event = (direction: string) =>
    parsePickingReady({
      shipment: { id: 5, name: 'WH/IN/00005', direction, warehouse: { code: 'WH' } },
      lines: [{ product: { id: 9, barcode: null, default_code: 'SKU-9', name: 'Bolt' }, quantity: 12, lot: 'L1', location: null }],
    });

  it('gives a receipt to scanners only, as expected scans to receive', () => {
    const e = event('inbound');
    assert.ok(e);
    const w = buildWork(e, 'evt-1', 'corr', 0);
    assert.equal(w.sorter, undefined);
    assert.equal(w.robot_fleet, undefined);
    assert.deepEqual(w.barcode, {
      expected_scans: {
        header: { work_id: 'evt-1', correlation_id: 'corr', picking: { name: 'WH/IN/00005' }, issued_ms: '0', warehouse: 'WH' },
        operation: 'OPERATION_RECEIVE',
        lines: [{ product_barcode: '', default_code: 'SKU-9', product_name: 'Bolt', quantity: 12, location_barcode: '', lot: 'L1', product_id: 9 }],
      },
    });
  });

  it('gives an outbound picking to all families; robot pick actions name the product by id without a barcode', () => {
    const e = event('outbound');
    assert.ok(e);
    const w = buildWork(e, 'evt-2', '', 0);
    assert.ok(w.sorter && w.barcode);
    const order = (w.robot_fleet as { order: { order_id: string; nodes: Array<{ actions: Array<{ parameters: Record<string, string> }> }> } }).order;
    assert.equal(order.order_id, 'evt-2');
    assert.deepEqual(order.nodes[0]?.actions[0]?.parameters, { product_id: '9', quantity: '12', lot: 'L1' });
  });

  it('ignores payloads that are not a canonical picking', () => {
    assert.equal(parsePickingReady({ order: {} }), undefined);
  });
});
