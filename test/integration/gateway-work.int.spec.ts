import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { clientFor, TestStream, tokenOf } from '../support/gateway';
import { deleteWorkTopology, publishEvents, routerReady, startWorkNode, workTopology, type WorkNode } from '../support/work';

/** Flow 3: a released picking on logistics.events becomes a robot order on the fleet adapter's stream. */
describe('device gateway work routing (Flow 3)', function () {
  this.timeout(30_000);
  const topology = workTopology();
  let node: WorkNode;
  before(async () => {
    node = await startWorkNode(topology);
    await routerReady(topology);
  });
  after(async () => {
    await node.stop();
    await deleteWorkTopology(topology, ['WH']);
  });

  it('sends a robot order for stock.picking.ready to the adapter that announced work.robot_order, waiting for one to connect', async () => {
    const eventId = randomUUID();
    const payload = {
      shipment: { id: 42, name: 'WH/OUT/00042', direction: 'outbound', warehouse: { code: 'WH' }, state: 'assigned', carrier_tracking_ref: null },
      lines: [{ product: { id: 7, barcode: '4006381333931', default_code: 'SKU-7', name: 'Widget' }, quantity: 3, uom: 'Units', location: { id: 8, name: 'WH/Stock/A1', barcode: 'A-01-02' } }],
    };
    await publishEvents(topology, [{ type: 'stock.picking.ready', id: eventId, body: payload }]);
    await new Promise((r) => setTimeout(r, 300));
    // No warehouse in the Hello: the family's general pool, which holds work of warehouses no adapter announced.
    const s = new TestStream(clientFor('robot_fleet', node.port), tokenOf('fleet-a'));
    s.send({ hello: { adapter_id: 'fleet-a', family: 'FAMILY_ROBOT_FLEET', stream_id: 'fleet-1', capabilities: ['work.robot_order'] } });
    await s.until(() => s.received.some((m) => m.kind === 'work'), 10_000);
    const work = s.received.find((m) => m.kind === 'work')?.work as { order: { header: { work_id: string; correlation_id: string; picking: { name: string } }; nodes: Array<{ location_barcode: string; actions: Array<{ action_type: string; parameters: Record<string, string> }> }> } };
    assert.equal(work.order.header.work_id, eventId);
    assert.equal(work.order.header.correlation_id, `corr-${eventId}`);
    assert.equal(work.order.header.picking.name, 'WH/OUT/00042');
    assert.equal(work.order.nodes[0]?.location_barcode, 'A-01-02');
    assert.deepEqual(work.order.nodes[0]?.actions[0]?.parameters, { product_id: '7', product_barcode: '4006381333931', quantity: '3', location_barcode: 'A-01-02' });
    s.send({ work_ack: { work_id: eventId, outcome: 'OUTCOME_ACCEPTED', reason: '' } });
    s.close();
  });

  it('answers a malformed work_ack with a reject naming the field, and keeps the stream', async () => {
    const s = new TestStream(clientFor('barcode', node.port), tokenOf('scan-a'));
    s.send({ hello: { adapter_id: 'scan-a', family: 'FAMILY_BARCODE', stream_id: 'scan-1', capabilities: ['work.expected_scans'] } });
    await s.until(() => s.helloAck() !== undefined);
    s.send({ work_ack: { work_id: '', outcome: 'OUTCOME_ACCEPTED', reason: '' } });
    await s.until(() => s.answers().some((a) => a.kind === 'reject'));
    const r = s.answers().find((a) => a.kind === 'reject');
    assert.equal(r?.msg.field_path, 'work_ack.work_id');
    assert.equal(s.status, undefined);
    s.close();
  });
});
