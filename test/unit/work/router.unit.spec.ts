import assert from 'node:assert/strict';
import { poolNames, poolQueue, queueArguments, TOPOLOGY, workQueue } from '../../../sidecar/src/broker';
import { buildWithdrawal, buildWork, eventDatabase, parsePickingReady, parsePickingWithdrawn, parsePoolMessage, poolOf, VoidSet, type WorkTarget } from '../../../sidecar/src/work';

/** The ready payload as the addon sends it (docs/relay.md), with the sort destination of issue 11. */
const ready = {
  shipment: { id: 1, name: 'WH/OUT/1', direction: 'outbound', warehouse: { code: 'WH' }, sort_destination: { chute: 'C-12', lane: 'L2', rule: 'DHL / DE' } },
  lines: [{ product: { id: 7, barcode: '4006381333931', default_code: 'SKU-7', name: 'Widget' }, quantity: 2, location: { id: 2, barcode: 'A-1' } }],
};
const withdrawn = { shipment: { id: 1, name: 'WH/OUT/1', direction: 'outbound', warehouse: { code: 'WH' } }, reason: 'cancelled', voids: ['0b3f2d9e-1111-4c3a-9a57-1d2e3f4a5b6c'] };

const target = (over: Partial<WorkTarget>): WorkTarget => ({ family: 'sorter', capabilities: ['work.sort_plan'], warehouse: 'WH', streamKey: 'a\u0000s', open: true, sendWork: () => true, ...over });

describe('work for devices: messages and pools (unit)', () => {
  it('puts the sort destination into the sort plan and the product id into every work line', () => {
    const event = parsePickingReady(ready);
    assert.ok(event);
    const work = buildWork(event, 'evt-1', 'corr', 0);
    assert.deepEqual((work.sorter?.sort_plan as { entries: unknown[] }).entries, [{ sscc: '', chute: 'C-12', lane: 'L2', carrier: '', route: 'DHL / DE' }]);
    assert.equal((work.barcode?.expected_scans as { lines: Array<{ product_id: number }> }).lines[0]?.product_id, 7);
    const order = work.robot_fleet?.order as { nodes: Array<{ actions: Array<{ parameters: Record<string, string> }> }> };
    assert.equal(order.nodes[0]?.actions[0]?.parameters.product_id, '7');
  });

  it('takes the addon\'s shapes: the warehouse as its code, the sort rule as its id, no lane', () => {
    const event = parsePickingReady({ ...ready, shipment: { ...ready.shipment, warehouse: 'WH2', sort_destination: { chute: 'C-3', lane: null, rule: 17 } } });
    assert.ok(event);
    const plan = buildWork(event, 'evt-1', 'corr', 0).sorter?.sort_plan as { header: { warehouse: string }; entries: unknown[] };
    assert.equal(plan.header.warehouse, 'WH2');
    assert.deepEqual(plan.entries, [{ sscc: '', chute: 'C-3', lane: '', carrier: '', route: '17' }]);
    const w = parsePickingWithdrawn({ ...withdrawn, shipment: { ...withdrawn.shipment, warehouse: 'WH2' } });
    assert.ok(w.ok);
  });

  it('keeps chute and lane empty when the picking has no sort destination (null)', () => {
    const event = parsePickingReady({ ...ready, shipment: { ...ready.shipment, sort_destination: null } });
    assert.ok(event);
    const entries = (buildWork(event, 'evt-1', 'corr', 0).sorter?.sort_plan as { entries: Array<{ chute: string; lane: string }> }).entries;
    assert.deepEqual([entries[0]?.chute, entries[0]?.lane], ['', '']);
  });

  it('withdraws robot work with cancelOrder and scanner / sorter work with their removal messages', () => {
    const parsed = parsePickingWithdrawn(withdrawn);
    assert.ok(parsed.ok);
    const id = withdrawn.voids[0] as string;
    const robot = buildWithdrawal('robot_fleet', parsed.event, id, 'corr', 0) as { instant_action: { action_type: string; header: { work_id: string }; parameters: Record<string, string> } };
    assert.equal(robot.instant_action.action_type, 'cancelOrder');
    assert.equal(robot.instant_action.header.work_id, id);
    assert.deepEqual(robot.instant_action.parameters, { order_id: id, reason: 'cancelled' });
    assert.equal((buildWithdrawal('barcode', parsed.event, id, 'corr', 0) as { expected_scans_removed: { reason: string } }).expected_scans_removed.reason, 'cancelled');
    assert.equal((buildWithdrawal('sorter', parsed.event, id, 'corr', 0) as { sort_plan_removed: { header: { work_id: string } } }).sort_plan_removed.header.work_id, id);
  });

  it('names the bad field of a withdrawn event', () => {
    const r = parsePickingWithdrawn({ ...withdrawn, reason: 'lost' });
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error, /^reason: /);
    const r2 = parsePickingWithdrawn({ ...withdrawn, voids: 'x' });
    assert.match(r2.ok ? '' : r2.error, /^voids: /);
  });

  it('knows withdrawn work and done or cancelled pickings as void, each picking in its own Odoo database', () => {
    const voids = new VoidSet(10);
    assert.equal(voids.take('stock.picking.withdrawn', { ...withdrawn, reason: 'unreserved' }, 'prod'), true);
    assert.equal(voids.isVoid(withdrawn.voids[0] as string, 99, 'prod'), true);
    assert.equal(voids.isVoid('other', 1, 'prod'), false, 'unreserved voids the listed work only: the picking can be ready again');
    assert.equal(voids.take('stock.picking.done', { shipment: { id: 1 } }, 'prod'), true);
    assert.equal(voids.isVoid('other', 1, 'prod'), true);
    // The same picking id in another database (or a database recreated from a backup) is other work.
    assert.equal(voids.isVoid('other', 1, 'staging'), false);
    assert.equal(voids.take('stock.picking.cancelled', { nothing: true }, 'prod'), false);
  });

  it('reads the Odoo database of an event from the relay header', () => {
    assert.equal(eventDatabase({ 'x-odoo-database': 'prod' }), 'prod');
    assert.equal(eventDatabase({}), '');
    assert.equal(eventDatabase(undefined), '');
  });

  it('puts a stream in the pool of its family and warehouse only with the capability, and a pool queue has no delivery limit on either broker', () => {
    assert.deepEqual(poolOf(target({})), { family: 'sorter', warehouse: 'WH' });
    assert.equal(poolOf(target({ capabilities: [] })), undefined);
    assert.equal(poolOf(target({ open: false })), undefined);
    const wh = poolNames(TOPOLOGY, 'sorter', 'WH');
    assert.equal(wh.queue, 'logistics.work.sorter.WH');
    assert.equal(poolNames(TOPOLOGY, 'sorter', '').queue, 'logistics.work.sorter');
    const spec = poolQueue(wh);
    assert.equal(queueArguments(spec, 3)['x-delivery-limit'], undefined, 'RabbitMQ 3.10 drops at the first return with -1; without the argument there is no limit');
    assert.equal(queueArguments(spec, 4)['x-delivery-limit'], -1, 'RabbitMQ 4 limits to 20 unless -1');
    assert.deepEqual(workQueue().bindings.map((b) => b.routingKey), ['stock.picking.ready', 'stock.picking.withdrawn']);
  });

  it('reads back what the router puts into a pool queue, and nothing else', () => {
    assert.ok(parsePoolMessage({ kind: 'work', work_id: 'w', picking_id: 1, work: {} }));
    assert.equal(parsePoolMessage({ kind: 'order', work_id: 'w', picking_id: 1, work: {} }), undefined);
  });
});
