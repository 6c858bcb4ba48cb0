import { strict as assert } from 'node:assert';
import { HeaderIds, LayoutError, buildCancelOrder, buildOrder, header, parseLayout, parseTopic, parseWork, planRoute, stamp, startStop, topicOf, type Job } from '../../../adapters/vda5050';
import { assertSchemaValid, schemaProblem } from '../../support/vda5050';
import { LAYOUT, cancelWork, robotWork } from './fixtures';

function job(): Job {
  const parsed = parseWork(robotWork('w-1', [
    { barcode: '4006381333931', location: 'WH-A-01', quantity: 2 },
    { barcode: '4006381333948', location: 'WH-B-04', quantity: 1 },
    { barcode: '4006381333955', location: 'WH-A-01', quantity: 3 },
  ]));
  assert.equal(parsed.kind, 'job');
  return (parsed as { job: Job }).job;
}

const position = { x: 0, y: 0, theta: 0, mapId: 'hall-1', positionInitialized: true };

describe('vda5050 topics, headers and builders', () => {
  it('topics are uagv/v2/<manufacturer>/<serialNumber>/<topic> and parse back', () => {
    assert.equal(topicOf('acme', 'agv-7', 'order'), 'uagv/v2/acme/agv-7/order');
    assert.deepEqual(parseTopic('uagv/v2/acme/agv-7/state'), { interfaceName: 'uagv', manufacturer: 'acme', serialNumber: 'agv-7', subtopic: 'state' });
    assert.equal(parseTopic('uagv/v1/acme/agv-7/state'), undefined);
  });

  it('headerId counts per vehicle and topic, from 0, +1 per message sent', () => {
    const ids = new HeaderIds();
    assert.deepEqual([ids.take('a', 'order'), ids.take('a', 'order'), ids.take('a', 'instantActions'), ids.take('b', 'order'), ids.take('a', 'order')], [0, 1, 0, 0, 2]);
  });

  it('an order: start where the vehicle stands, pick at each source, drop at the drop point, all released, sequenceIds 0,1,2…', () => {
    const j = job();
    const route = planRoute(LAYOUT, startStop('agv-1', '', position), j.stops, { warehouse: 'WH', loadType: 'EPAL' });
    const order = stamp(buildOrder(j.orderId, route), header(0, 'acme', 'agv-1', Date.UTC(2026, 0, 2, 3, 4, 5, 60)));
    assertSchemaValid('order', order);
    assert.equal(order.version, '2.0.0');
    assert.equal(order.timestamp, '2026-01-02T03:04:05.060Z');
    assert.equal(order.orderUpdateId, 0);
    assert.deepEqual(order.nodes.map((n) => [n.nodeId, n.sequenceId, n.released]), [
      ['agv-1-start', 0, true], ['rack-a1', 2, true], ['pack-1', 4, true], ['rack-b4', 6, true], ['pack-1', 8, true],
    ]);
    assert.deepEqual(order.edges.map((e) => [e.startNodeId, e.endNodeId, e.sequenceId, e.released]), [
      ['agv-1-start', 'rack-a1', 1, true], ['rack-a1', 'pack-1', 3, true], ['pack-1', 'rack-b4', 5, true], ['rack-b4', 'pack-1', 7, true],
    ]);
    const pick = order.nodes[1]?.actions[0];
    assert.deepEqual(pick, { actionId: 'w-1:pick:1', actionType: 'pick', blockingType: 'HARD', actionParameters: [
      { key: 'stationType', value: 'rack' }, { key: 'stationName', value: 'WH-A-01' }, { key: 'loadType', value: 'EPAL' },
    ] });
    assert.equal(order.nodes[2]?.actions[0]?.actionType, 'drop');
    assert.deepEqual(order.nodes[1]?.nodePosition, { x: 10, y: 2, theta: 1.57, mapId: 'hall-1' });
    // Two lines from A-01 are one pick there; the confirmation still carries all three lines.
    assert.equal(j.stops.length, 2);
    assert.equal(j.lines.length, 3);
  });

  it('an order starting from the last node the vehicle reached keeps that node id', () => {
    const j = job();
    const route = planRoute(LAYOUT, startStop('agv-1', 'pack-1', { ...position, x: 2, y: 2 }), j.stops, { warehouse: 'WH', loadType: 'EPAL' });
    assert.equal(route[0]?.nodeId, 'pack-1');
  });

  it('a location missing from the layout, or no drop point, is a LayoutError with a code', () => {
    const j = job();
    assert.throws(() => planRoute({ nodes: LAYOUT.nodes.filter((n) => n.node_id !== 'rack-b4') }, startStop('agv-1', '', position), j.stops, { warehouse: 'WH', loadType: 'EPAL' }),
      (e: unknown) => e instanceof LayoutError && e.code === 'no_layout_node' && /WH-B-04/.test(e.message));
    assert.throws(() => planRoute({ nodes: LAYOUT.nodes.filter((n) => !n.drop_point) }, startStop('agv-1', '', position), j.stops, { warehouse: 'WH', loadType: 'EPAL' }),
      (e: unknown) => e instanceof LayoutError && e.code === 'no_drop_node');
    assert.throws(() => startStop('agv-1', '', undefined), (e: unknown) => e instanceof LayoutError && e.code === 'no_position');
    assert.throws(() => planRoute(LAYOUT, startStop('agv-1', '', position), [], { warehouse: 'WH', loadType: 'EPAL' }), (e: unknown) => e instanceof LayoutError && e.code === 'no_stops');
  });

  it('cancelOrder is a HARD instant action without parameters that validates', () => {
    const msg = stamp(buildCancelOrder('w-1:cancel:1'), header(3, 'acme', 'agv-1', Date.now()));
    assertSchemaValid('instantActions', msg);
    assert.deepEqual(msg.actions, [{ actionId: 'w-1:cancel:1', actionType: 'cancelOrder', blockingType: 'HARD' }]);
  });

  it('the schema check can fail: an order without edges, or a bad blockingType, is refused', () => {
    const j = job();
    const order = stamp(buildOrder(j.orderId, planRoute(LAYOUT, startStop('agv-1', '', position), j.stops, { warehouse: 'WH', loadType: 'EPAL' })), header(0, 'acme', 'agv-1', Date.now()));
    const { edges: _edges, ...noEdges } = order;
    assert.ok(schemaProblem('order', noEdges));
    assert.ok(schemaProblem('instantActions', { ...header(0, 'acme', 'agv-1', Date.now()), actions: [{ actionId: 'x', actionType: 'cancelOrder', blockingType: 'SOMETIMES' }] }));
  });

  it('work from the gateway: robot orders become jobs, cancelOrder a withdrawal, anything else is ignored', () => {
    const j = job();
    assert.equal(j.orderId, 'w-1');
    assert.deepEqual(j.picking, { name: 'WH/OUT/00042' });
    assert.deepEqual(j.lines[0], { product: { barcode: '4006381333931' }, quantity: 2, location: { barcode: 'WH-A-01' } });
    assert.deepEqual(parseWork(cancelWork('w-1')), { kind: 'withdrawal', withdrawal: { orderId: 'w-1', picking: { name: 'WH/OUT/00042' } } });
    assert.equal(parseWork({ work: 'sort_plan', sort_plan: {} }).kind, 'ignored');
    assert.equal(parseWork({ work: 'instant_action', instant_action: { action_type: 'startPause' } }).kind, 'ignored');
  });

  it('the layout file is checked: a node without map id is refused', () => {
    assert.throws(() => parseLayout({ nodes: [{ node_id: 'n', x: 0, y: 0 }] }));
    assert.equal(parseLayout(LAYOUT).nodes.length, 3);
  });
});
