import { strict as assert } from 'node:assert';
import { AgvCore, Fleet, HeaderIds, header, interpretConnection, interpretState, parseWork, stamp, type Effects, type FleetUpdate, type Job, type State } from '../../../adapters/vda5050';
import { assertSchemaValid } from '../../support/vda5050';
import { LAYOUT, cancelWork, robotWork } from './fixtures';

const M = 'acme';

/** Fleet core and simulated vehicles wired without MQTT: every message in both directions is schema-checked. */
class Loop {
  readonly fleet = new Fleet({ layout: LAYOUT, loadType: 'EPAL', fleetDeviceId: 'fleet-a' });
  readonly agvs = new Map<string, AgvCore>();
  readonly updates: FleetUpdate[] = [];
  readonly sent: Array<{ serial: string; subtopic: string; message: Record<string, unknown> }> = [];
  private readonly ids = new HeaderIds();
  private stateIds = new Map<string, number>();
  clock = Date.UTC(2026, 11, 1, 8, 0, 0);

  addAgv(serial: string, options: { failureRate?: number } = {}): AgvCore {
    const agv = new AgvCore({ manufacturer: M, serialNumber: serial, position: { x: 0, y: 0, theta: 0, mapId: 'hall-1' }, ...options });
    this.agvs.set(serial, agv);
    this.connection(serial, 'ONLINE');
    this.report(serial);
    return agv;
  }

  connection(serial: string, state: 'ONLINE' | 'OFFLINE' | 'CONNECTIONBROKEN', timestamp = new Date(this.clock).toISOString()): void {
    const c = { ...header(this.ids.take(serial, 'connection'), M, serial, this.clock), timestamp, connectionState: state };
    assertSchemaValid('connection', c);
    this.apply(this.fleet.onConnection(c, this.clock));
  }

  report(serial: string): State {
    const id = this.stateIds.get(serial) ?? 0;
    this.stateIds.set(serial, id + 1);
    this.clock += 100;
    const s = (this.agvs.get(serial) as AgvCore).state(id, this.clock);
    assertSchemaValid('state', s);
    this.apply(this.fleet.onState(s));
    return s;
  }

  work(raw: unknown): void {
    const parsed = parseWork(raw);
    if (parsed.kind === 'job') this.apply(this.fleet.addJob(parsed.job));
    else if (parsed.kind === 'withdrawal') this.apply(this.fleet.withdraw(parsed.withdrawal));
  }

  apply(e: Effects): void {
    this.updates.push(...e.updates);
    for (const p of e.publish) {
      const message = stamp(p.body, header(this.ids.take(p.serialNumber, p.subtopic), M, p.serialNumber, this.clock)) as unknown as Record<string, unknown>;
      assertSchemaValid(p.subtopic, message);
      this.sent.push({ serial: p.serialNumber, subtopic: p.subtopic, message });
      const agv = this.agvs.get(p.serialNumber) as AgvCore;
      const changed = p.subtopic === 'order' ? agv.receiveOrder(message) : agv.receiveInstantActions(message);
      if (changed) this.report(p.serialNumber);
    }
  }

  /** Steps every vehicle until none changes (or `limit` steps). */
  run(limit = 200): void {
    for (let i = 0; i < limit; i += 1) {
      let changed = false;
      for (const [serial, agv] of this.agvs) {
        if (agv.step()) {
          changed = true;
          this.report(serial);
        }
      }
      if (!changed) return;
    }
  }
}

const LINES = [
  { barcode: '4006381333931', location: 'WH-A-01', quantity: 2 },
  { barcode: '4006381333948', location: 'WH-B-04', quantity: 1 },
];

describe('vda5050 fleet core with simulated vehicles (no MQTT)', () => {
  it('an order runs to FINISHED: one pick.confirmed with the work lines, once, however often the state is seen', () => {
    const loop = new Loop();
    loop.addAgv('agv-1');
    loop.work(robotWork('w-1', LINES));
    assert.equal(loop.sent.length, 1);
    loop.run();
    assert.deepEqual(loop.updates.map((u) => u.type), ['device.status', 'pick.confirmed']);
    const confirmed = loop.updates[1] as Extract<FleetUpdate, { type: 'pick.confirmed' }>;
    assert.equal(confirmed.deviceId, 'agv-1');
    assert.equal(confirmed.idempotencyKey, 'vda5050:w-1:picked');
    assert.equal(confirmed.correlationId, 'S00042');
    assert.deepEqual(confirmed.payload, {
      picking: { name: 'WH/OUT/00042' },
      lines: [
        { product: { barcode: '4006381333931' }, quantity: 2, location: { barcode: 'WH-A-01' } },
        { product: { barcode: '4006381333948' }, quantity: 1, location: { barcode: 'WH-B-04' } },
      ],
    });
    // The vehicle went through every status of every action and ended at the drop point, empty.
    const last = loop.report('agv-1');
    assert.equal(last.lastNodeId, 'pack-1');
    assert.deepEqual(last.loads, []);
    assert.ok(last.actionStates.every((a) => a.actionStatus === 'FINISHED'));
    assert.equal(loop.updates.length, 2, 'the same finished state again yields nothing');
  });

  it('the same work delivered again is resent unchanged (same orderId and orderUpdateId) and the vehicle ignores it', () => {
    const loop = new Loop();
    const agv = loop.addAgv('agv-1');
    loop.work(robotWork('w-1', LINES));
    loop.work(robotWork('w-1', LINES));
    assert.equal(loop.sent.length, 2);
    const [a, b] = loop.sent.map((s) => s.message);
    assert.equal(a?.orderId, b?.orderId);
    assert.equal(a?.orderUpdateId, b?.orderUpdateId);
    assert.deepEqual([a?.headerId, b?.headerId], [0, 1], 'headerId +1 per message sent');
    assert.equal(agv.receiveOrder(b), false);
    loop.run();
    assert.equal(loop.updates.filter((u) => u.type === 'pick.confirmed').length, 1);
  });

  it('an order the vehicle never showed (lost on QoS 0) is sent again until its state shows it, then no more', () => {
    const loop = new Loop();
    loop.addAgv('agv-1');
    const lost = loop.fleet.addJob((parseWork(robotWork('w-1', LINES)) as { job: Job }).job);
    assert.equal(lost.publish.length, 1, 'sent once, and dropped by the test as a broker would');
    assert.equal(loop.fleet.resendUnconfirmed().publish.length, 1);
    loop.apply(loop.fleet.resendUnconfirmed());
    assert.equal(loop.report('agv-1').orderId, 'w-1');
    assert.deepEqual(loop.fleet.resendUnconfirmed().publish, []);
    loop.run();
    assert.equal(loop.updates.filter((u) => u.type === 'pick.confirmed').length, 1);
  });

  it('jobs wait for a free vehicle and go to the next one that is free', () => {
    const loop = new Loop();
    loop.addAgv('agv-1');
    loop.work(robotWork('w-1', LINES));
    loop.work(robotWork('w-2', LINES, 'WH/OUT/00043'));
    assert.equal(loop.fleet.stats.queued, 1);
    loop.run();
    assert.deepEqual(loop.updates.filter((u) => u.type === 'pick.confirmed').map((u) => u.idempotencyKey), ['vda5050:w-1:picked', 'vda5050:w-2:picked']);
    // The second order starts where the first ended.
    const second = loop.sent.find((s) => s.message.orderId === 'w-2')?.message as { nodes: Array<{ nodeId: string }> };
    assert.equal(second.nodes[0]?.nodeId, 'pack-1');
  });

  it('a failed pick becomes one task.failed with the reason and the error type', () => {
    const loop = new Loop();
    loop.addAgv('agv-1', { failureRate: 1 });
    loop.work(robotWork('w-1', LINES));
    loop.run();
    const failed = loop.updates.filter((u) => u.type === 'task.failed');
    assert.equal(failed.length, 1);
    assert.deepEqual(failed[0]?.payload, { picking: { name: 'WH/OUT/00042' }, reason: 'pick w-1:pick:1 failed on agv-1: station empty', code: 'pickFailed' });
    assert.equal(failed[0]?.idempotencyKey, 'vda5050:w-1:failed');
    assert.equal(loop.updates.some((u) => u.type === 'pick.confirmed'), false);
  });

  it('withdrawn work: cancelOrder to the vehicle, it stops, nothing is reported to Odoo, and the vehicle takes the next job', () => {
    const loop = new Loop();
    loop.addAgv('agv-1');
    loop.work(robotWork('w-1', LINES));
    loop.work(robotWork('w-2', LINES, 'WH/OUT/00043'));
    loop.agvs.get('agv-1')?.step();
    loop.report('agv-1');
    loop.work(cancelWork('w-1'));
    const cancel = loop.sent.find((s) => s.subtopic === 'instantActions');
    assert.deepEqual((cancel?.message as { actions: unknown[] }).actions, [{ actionId: 'w-1:cancel:1', actionType: 'cancelOrder', blockingType: 'HARD' }]);
    loop.run();
    assert.equal(loop.fleet.order('w-1')?.outcome, 'cancelled');
    assert.deepEqual(loop.updates.filter((u) => u.type !== 'device.status').map((u) => u.idempotencyKey), ['vda5050:w-2:picked']);
    // Withdrawing again, or withdrawing finished work, sends nothing.
    const before = loop.sent.length;
    loop.work(cancelWork('w-1'));
    loop.work(cancelWork('w-2'));
    assert.equal(loop.sent.length, before);
  });

  it('withdrawn work that no vehicle took yet is dropped without a message', () => {
    const loop = new Loop();
    loop.work(robotWork('w-1', LINES));
    loop.work(cancelWork('w-1'));
    loop.addAgv('agv-1');
    loop.run();
    assert.deepEqual(loop.sent, []);
    assert.equal(loop.fleet.order('w-1')?.outcome, 'cancelled');
  });

  it('a location missing from the layout fails the job once, on the fleet device', () => {
    const loop = new Loop();
    loop.addAgv('agv-1');
    loop.work(robotWork('w-1', [{ barcode: '4006381333931', location: 'NOWHERE', quantity: 1 }]));
    assert.deepEqual(loop.updates.at(-1), {
      type: 'task.failed', deviceId: 'fleet-a', idempotencyKey: 'vda5050:w-1:failed', correlationId: 'S00042', eventTimeMs: loop.clock,
      payload: { picking: { name: 'WH/OUT/00042' }, reason: 'location NOWHERE has no node in the VDA 5050 layout', code: 'no_layout_node' },
    });
  });

  it('a vehicle that rejects the order (orderError naming it) fails the task', () => {
    const loop = new Loop();
    const agv = loop.addAgv('agv-1');
    // Someone else moved the vehicle: the order's start node is no longer where it stands.
    const job = (parseWork(robotWork('w-1', LINES)) as { job: Job }).job;
    (agv as unknown as { position: { x: number } }).position.x = 50;
    loop.apply(loop.fleet.addJob(job));
    const failed = loop.updates.find((u) => u.type === 'task.failed');
    assert.equal(failed?.payload && 'code' in failed.payload ? failed.payload.code : undefined, 'orderError');
  });

  it('connection: ONLINE → online, the last will (CONNECTIONBROKEN) → offline, repeats → nothing', () => {
    const c = (state: 'ONLINE' | 'OFFLINE' | 'CONNECTIONBROKEN', ts: string) => ({ ...header(0, M, 'agv-1', Date.parse(ts)), connectionState: state });
    const online = interpretConnection(undefined, c('ONLINE', '2026-12-01T08:00:00.000Z'), 1000);
    assert.deepEqual(online?.payload, { status: 'online', family: 'robot_fleet' });
    assert.equal(interpretConnection('ONLINE', c('ONLINE', '2026-12-01T08:00:00.000Z'), 2000), undefined);
    const broken = interpretConnection('ONLINE', c('CONNECTIONBROKEN', '2026-12-01T07:59:59.000Z'), 3000);
    assert.deepEqual(broken?.payload, { status: 'offline', family: 'robot_fleet', error: 'VDA 5050 connection CONNECTIONBROKEN' });
    assert.equal(broken?.eventTimeMs, 3000, 'the will is dated when it arrived, not at the connect it was set on');
    assert.equal(broken?.idempotencyKey, 'vda5050:agv-1:connection:CONNECTIONBROKEN:2026-12-01T07:59:59.000Z');
    assert.deepEqual(interpretConnection('CONNECTIONBROKEN', c('OFFLINE', '2026-12-01T08:01:00.000Z'), 4000)?.payload, { status: 'offline', family: 'robot_fleet', error: 'VDA 5050 connection OFFLINE' });
  });
});

describe('vda5050 simulated vehicle (AgvCore)', () => {
  const agv = () => new AgvCore({ manufacturer: M, serialNumber: 'agv-9', position: { x: 0, y: 0, theta: 0, mapId: 'hall-1' } });

  it('a malformed order is rejected with a validationError warning in state, and the vehicle stays idle', () => {
    const a = agv();
    assert.equal(a.receiveOrder({ headerId: 0, orderId: 'x' }), true);
    const s = a.state(0, Date.now());
    assertSchemaValid('state', s);
    assert.equal(s.errors[0]?.errorType, 'validationError');
    assert.equal(s.errors[0]?.errorLevel, 'WARNING');
    assert.equal(s.orderId, '');
  });

  it('cancelOrder without an order fails and reports noOrderToCancel naming the action', () => {
    const a = agv();
    a.receiveInstantActions({ ...header(0, M, 'agv-9', Date.now()), actions: [{ actionId: 'c1', actionType: 'cancelOrder', blockingType: 'HARD' }] });
    const s = a.state(1, Date.now());
    assertSchemaValid('state', s);
    assert.deepEqual(s.actionStates, [{ actionId: 'c1', actionType: 'cancelOrder', actionStatus: 'FAILED' }]);
    assert.deepEqual(s.errors[0]?.errorReferences, [{ referenceKey: 'actionId', referenceValue: 'c1' }]);
  });

  it('an order update with a lower orderUpdateId is refused with orderUpdateError; the same one is ignored', () => {
    const loop = new Loop();
    const a = loop.addAgv('agv-1');
    loop.work(robotWork('w-1', LINES));
    const sent = loop.sent[0]?.message as Record<string, unknown>;
    assert.equal(a.receiveOrder({ ...sent, headerId: 5 }), false);
    const older = { ...sent, headerId: 6, orderUpdateId: 0 };
    (a as unknown as { orderUpdateId: number }).orderUpdateId = 1;
    assert.equal(a.receiveOrder(older), true);
    assert.equal(a.state(9, Date.now()).errors.at(-1)?.errorType, 'orderUpdateError');
  });
});

describe('vda5050 state interpretation at the edges', () => {
  const order = { orderId: 'o-1', serialNumber: 'agv-1', correlationId: '', picking: { name: 'WH/OUT/1' }, lines: [], actions: { p: 'pick', d: 'drop' } };
  const state = (actions: Array<[string, string]>, errors: State['errors'] = []): State => {
    const s = new AgvCore({ manufacturer: M, serialNumber: 'agv-1', position: { x: 0, y: 0, theta: 0, mapId: 'm' } }).state(1, Date.UTC(2026, 0, 1));
    return { ...s, orderId: 'o-1', actionStates: actions.map(([actionId, actionStatus]) => ({ actionId, actionStatus: actionStatus as 'FINISHED' })), errors };
  };
  const fatal: State['errors'] = [{ errorType: 'emergencyStop', errorLevel: 'FATAL', errorDescription: 'e-stop pressed' }];

  it('a FATAL error while the order runs fails it; after every action finished it does not', () => {
    assert.deepEqual(interpretState(order, state([['p', 'RUNNING'], ['d', 'WAITING']], fatal))?.update?.payload, { picking: { name: 'WH/OUT/1' }, reason: 'agv-1: e-stop pressed', code: 'emergencyStop' });
    assert.equal(interpretState(order, state([['p', 'FINISHED'], ['d', 'FINISHED']], fatal))?.outcome, 'confirmed');
  });

  it('cancelled work: failures caused by the cancel are silent, work finished before the cancel is still confirmed', () => {
    const cancelled = { ...order, cancelActionId: 'c' };
    assert.equal(interpretState(cancelled, state([['p', 'FAILED'], ['d', 'FAILED'], ['c', 'RUNNING']])), undefined);
    assert.deepEqual(interpretState(cancelled, state([['p', 'FAILED'], ['d', 'FAILED'], ['c', 'FINISHED']])), { outcome: 'cancelled' });
    assert.equal(interpretState(cancelled, state([['p', 'FINISHED'], ['d', 'FINISHED'], ['c', 'FAILED']]))?.outcome, 'confirmed');
  });

  it('a decided order, a state of another order or another vehicle yields nothing', () => {
    assert.equal(interpretState({ ...order, outcome: 'confirmed' }, state([['p', 'FINISHED'], ['d', 'FINISHED']])), undefined);
    assert.equal(interpretState(order, { ...state([['p', 'FINISHED'], ['d', 'FINISHED']]), orderId: 'o-2' }), undefined);
    assert.equal(interpretState(order, { ...state([['p', 'FINISHED'], ['d', 'FINISHED']]), serialNumber: 'agv-2' }), undefined);
  });
});
