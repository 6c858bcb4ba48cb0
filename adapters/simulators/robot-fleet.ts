/**
 * A fleet of goods-to-person robots reporting VDA 5050 state at 10 Hz each: idle, drive to the pick
 * location, pick, report the picked goods; some are blocked for a moment by a person in the aisle, some
 * for longer than the gateway's 30 s (a pallet left in the aisle), and some fail with a gripper fault.
 * Output: VDA 5050 style messages for adapters/robot-fleet.
 */
import type { FleetMessage, Vda5050State } from '../robot-fleet';
import { expected, gtin13, seededRandom, type ExpectedUpdate, type Scenario } from './common';
import { DEFAULT_ADAPTERS } from './defaults';

export interface RobotScenarioOptions {
  seed?: number;
  adapterId?: string;
  fleetId?: string;
  robots?: number;
  startMs?: number;
  durationMs?: number;
  /** States per second per robot (default 10). */
  hz?: number;
  failRate?: number;
  /** Share of tasks with a block; a third of those last longer than the gateway's limit. */
  blockRate?: number;
}

const BLOCKED_AFTER_MS = 30_000;
const HEARTBEAT_MS = 5_000;
const PRODUCTS = ['400638133393', '590123412345', '871234567890', '501234567890', '761234567890'].map(gtin13);

export function robotFleetScenario(o: RobotScenarioOptions = {}): Scenario<FleetMessage> {
  const rnd = seededRandom(o.seed ?? 1);
  const adapterId = o.adapterId ?? DEFAULT_ADAPTERS.robot_fleet.adapterId;
  const fleetId = o.fleetId ?? 'fleet-1';
  const start = o.startMs ?? Date.now();
  const end = start + (o.durationMs ?? 60_000);
  const step = Math.round(1000 / (o.hz ?? 10));
  const events: Array<{ atMs: number; event: FleetMessage; order: number }> = [];
  const want: ExpectedUpdate[] = [];
  const summary = { robots: o.robots ?? 4, states: 0, tasks: 0, completed: 0, failed: 0, shortBlocks: 0, longBlocks: 0 };
  const deviceIds = [fleetId];
  let order = 0;
  let pickingNo = 0;

  for (let r = 1; r <= summary.robots; r += 1) {
    const robot = `amr-${String(r).padStart(2, '0')}`;
    deviceIds.push(robot);
    let t = start + r * 37;
    let x = r * 2;
    let y = 0;
    let battery = 95 - r;
    let header = 0;
    want.push(expected(adapterId, robot, 'device.status', `${adapterId}:${robot}:device.status:${t}:online`, t, { status: 'online', family: 'robot_fleet' }));
    const emit = (s: Partial<Vda5050State>) => {
      header += 1;
      battery = Math.max(5, battery - 0.002);
      const state: Vda5050State = {
        topic: 'state',
        headerId: header,
        timestamp: new Date(t).toISOString(),
        serialNumber: robot,
        orderId: '',
        orderUpdateId: 0,
        lastNodeId: '',
        driving: false,
        operatingMode: 'AUTOMATIC',
        batteryState: { batteryCharge: Math.round(battery * 10) / 10 },
        agvPosition: { x, y, theta: 0, mapId: 'hall-1', positionInitialized: true },
        velocity: { vx: s.driving ? 1.2 : 0, vy: 0 },
        actionStates: [],
        errors: [],
        ...s,
      };
      events.push({ atMs: t, event: state, order: order++ });
      summary.states += 1;
      t += step;
    };
    const during = (ms: number, s: () => Partial<Vda5050State>) => {
      for (const until = t + ms; t < until; ) emit(s());
    };

    let n = 0;
    while (t < end) {
      during(rnd.int(1000, 3000), () => ({})); // idle
      if (t >= end) break;
      n += 1;
      summary.tasks += 1;
      pickingNo += 1;
      const orderId = `${robot}-T${String(n).padStart(4, '0')}`;
      const picking = `WH/PICK/${String(pickingNo).padStart(5, '0')}`;
      const product = rnd.pick(PRODUCTS);
      const quantity = rnd.int(1, 3);
      const location = `A-${String(rnd.int(1, 20)).padStart(2, '0')}-${String(rnd.int(1, 40)).padStart(2, '0')}`;
      const lot = rnd.chance(0.3) ? `L${rnd.int(100, 999)}` : '';
      const base = { orderId, orderUpdateId: 0, erpReference: picking };
      const pick = (actionStatus: string, resultDescription = '') => [{ actionId: `${orderId}-pick`, actionType: 'pick', actionStatus, resultDescription }];
      const driveMs = rnd.int(5000, 12_000);
      const blockRoll = rnd.next();
      const block = blockRoll < (o.blockRate ?? 0.12) ? (blockRoll < (o.blockRate ?? 0.12) / 3 ? 'long' : 'short') : 'none';
      during(driveMs / 2, () => ((x += 0.12), { ...base, lastNodeId: 'n1', driving: true, actionStates: pick('WAITING') }));
      if (block !== 'none') {
        const blockedMs = block === 'long' ? BLOCKED_AFTER_MS + rnd.int(2000, 8000) : rnd.int(1500, 4000);
        const since = t;
        const description = block === 'long' ? 'pallet left in aisle' : 'person in aisle';
        during(blockedMs, () => ({ ...base, lastNodeId: 'n1', actionStates: pick('WAITING'), errors: [{ errorType: 'blocked', errorLevel: 'WARNING', errorDescription: description }] }));
        if (block === 'long') {
          summary.longBlocks += 1;
          want.push(
            expected(adapterId, robot, 'task.failed', `${adapterId}:task:${orderId}:blocked`, since, {
              reason: `robot ${robot} blocked for more than 30 s: ${description}`,
              code: 'blocked',
              picking: { name: picking },
            }),
          );
        } else summary.shortBlocks += 1;
      }
      during(driveMs / 2, () => ((y += 0.12), { ...base, lastNodeId: 'n2', driving: true, actionStates: pick('WAITING') }));
      during(rnd.int(2000, 4000), () => ({ ...base, lastNodeId: 'n2', actionStates: pick('RUNNING') }));
      if (rnd.chance(o.failRate ?? 0.05)) {
        summary.failed += 1;
        const reason = `vacuum lost on ${product}`;
        want.push(expected(adapterId, robot, 'task.failed', `${adapterId}:task:${orderId}:failed`, t, { reason, code: 'gripperFault', picking: { name: picking } }));
        during(1000, () => ({ ...base, lastNodeId: 'n2', actionStates: pick('FAILED'), errors: [{ errorType: 'gripperFault', errorLevel: 'FATAL', errorDescription: reason }] }));
        continue;
      }
      summary.completed += 1;
      const result = `product_barcode=${product};quantity=${quantity}${lot ? `;lot=${lot}` : ''};location_barcode=${location}`;
      want.push(
        expected(adapterId, robot, 'pick.confirmed', `${adapterId}:task:${orderId}:completed`, t, {
          picking: { name: picking },
          lines: [{ product: { barcode: product }, quantity, ...(lot ? { lot } : {}), location: { barcode: location } }],
        }),
      );
      during(1000, () => ({ ...base, lastNodeId: 'n2', actionStates: pick('FINISHED', result) }));
    }
  }
  events.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
  return { family: 'robot_fleet', adapterId, deviceIds, events: events.map(({ atMs, event }) => ({ atMs, event })), expected: want, summary };
}

export { HEARTBEAT_MS };
