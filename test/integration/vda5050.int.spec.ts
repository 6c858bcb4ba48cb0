import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { Fleet, MasterControl, SimulatedAgv, runFleetAdapter, type BridgeLink, type State } from '../../adapters/vda5050';
import type { Work } from '@logistics-bridge/adapter-sdk';
import { createLogger } from '../../sidecar/src/telemetry';
import { assertSchemaValid, kindOfTopic } from '../support/vda5050';
import { LAYOUT, cancelWork, robotWork } from '../unit/vda5050/fixtures';

const URL = 'mqtt://127.0.0.1:1883';
const LINES = [
  { barcode: '4006381333931', location: 'WH-A-01', quantity: 2 },
  { barcode: '4006381333948', location: 'WH-B-04', quantity: 1 },
];

interface SentUpdate {
  deviceId: string;
  type: string;
  payload: unknown;
  key: string;
}

/** The SDK side, recorded: work is pushed by the test, updates are kept. */
class Recorder implements BridgeLink {
  readonly updates: SentUpdate[] = [];
  private readonly queue: Work[] = [];
  private wake: (() => void) | undefined;
  private ended = false;

  push(w: Record<string, unknown>): void {
    this.queue.push(w as unknown as Work);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *work(): AsyncGenerator<Work> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  sendUpdate: BridgeLink['sendUpdate'] = async (deviceId, type, payload, opts) => {
    this.updates.push({ deviceId, type, payload, key: opts.idempotencyKey });
  };
}

async function until<T>(what: string, probe: () => T | undefined, limitMs = 60_000): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('VDA 5050 fleet adapter and simulated AGV over Mosquitto', function () {
  // Generous: the machine may be loaded; the waits are bounded, never timed assertions.
  this.timeout(120_000);
  let manufacturer: string;
  let ctl: AbortController;
  let spy: MqttClient;
  let wire: Array<{ topic: string; message: Record<string, unknown> }>;
  let bridge: Recorder;
  let running: Promise<void>;
  let fleet: Fleet;
  let master: MasterControl;
  const children: ChildProcess[] = [];
  const agvs: SimulatedAgv[] = [];

  beforeEach(async () => {
    // A manufacturer of its own per test: the broker is shared and connection messages are retained.
    manufacturer = `lbtest${randomBytes(4).toString('hex')}`;
    ctl = new AbortController();
    wire = [];
    spy = mqtt.connect(URL, { clientId: `spy-${manufacturer}` });
    await new Promise<void>((r) => spy.once('connect', () => r()));
    spy.on('message', (topic, payload) => payload.length > 0 && wire.push({ topic, message: JSON.parse(payload.toString('utf8')) as Record<string, unknown> }));
    await spy.subscribeAsync(`uagv/v2/${manufacturer}/#`, { qos: 1 });
    const log = createLogger('error').child({ module: 'vda5050-test' });
    master = new MasterControl({ url: URL, manufacturer, log });
    await master.start(ctl.signal);
    bridge = new Recorder();
    fleet = new Fleet({ layout: LAYOUT, loadType: 'EPAL', fleetDeviceId: 'fleet-a' });
    running = runFleetAdapter({ bridge, master, fleet, log, signal: ctl.signal });
  });

  afterEach(async () => {
    for (const a of agvs.splice(0)) await a.stop();
    for (const c of children.splice(0)) c.kill('SIGKILL');
    bridge.end();
    await running;
    ctl.abort();
    // Leave no retained connection messages behind on the shared broker.
    for (const t of new Set(wire.filter((w) => w.topic.endsWith('/connection')).map((w) => w.topic))) await spy.publishAsync(t, '', { retain: true, qos: 1 });
    await spy.endAsync();
    // Every message on the wire, both directions, validates against the VDA 5050 2.0 schemas.
    for (const w of wire) assertSchemaValid(kindOfTopic(w.topic), w.message);
  });

  async function startAgv(serial: string, stepMs: number): Promise<SimulatedAgv> {
    const agv = new SimulatedAgv({ url: URL, manufacturer, serialNumber: serial, position: { x: 0, y: 0, theta: 0, mapId: 'hall-1' }, stepMs });
    agvs.push(agv);
    await agv.start();
    return agv;
  }

  const states = (serial: string) => wire.filter((w) => w.topic === `uagv/v2/${manufacturer}/${serial}/state`).map((w) => w.message as unknown as State);

  it('an order runs to FINISHED and becomes one pick.confirmed', async () => {
    await startAgv('agv-1', 10);
    await until('online', () => bridge.updates.find((u) => u.type === 'device.status'));
    bridge.push(robotWork('w-1', LINES));
    const confirmed = await until('pick.confirmed', () => bridge.updates.find((u) => u.type === 'pick.confirmed'));
    assert.equal(confirmed.deviceId, 'agv-1');
    assert.equal(confirmed.key, 'vda5050:w-1:picked');
    const last = states('agv-1').at(-1) as State;
    assert.equal(last.orderId, 'w-1');
    assert.deepEqual(last.actionStates.map((a) => a.actionStatus), ['FINISHED', 'FINISHED', 'FINISHED', 'FINISHED']);
    // Every status of the standard's action life cycle was reported for the first pick.
    const seen = states('agv-1').flatMap((s) => s.actionStates.filter((a) => a.actionId === 'w-1:pick:1').map((a) => a.actionStatus));
    assert.deepEqual([...new Set(seen)], ['WAITING', 'INITIALIZING', 'RUNNING', 'FINISHED']);
    // The vehicle's headerIds on state count up by one.
    const ids = states('agv-1').map((s) => s.headerId);
    assert.deepEqual(ids, ids.map((_, i) => (ids[0] as number) + i));
    assert.deepEqual(bridge.updates.map((u) => u.type), ['device.status', 'pick.confirmed']);
  });

  it('withdrawn work reaches the vehicle as cancelOrder and stops it; nothing is confirmed', async () => {
    await startAgv('agv-2', 150);
    await until('online', () => bridge.updates.find((u) => u.type === 'device.status'));
    bridge.push(robotWork('w-2', LINES));
    await until('order accepted', () => states('agv-2').find((s) => s.orderId === 'w-2'));
    bridge.push(cancelWork('w-2'));
    const cancelled = await until('cancelOrder finished', () => states('agv-2').find((s) => s.actionStates.some((a) => a.actionType === 'cancelOrder' && a.actionStatus === 'FINISHED')));
    assert.deepEqual(cancelled.nodeStates, []);
    assert.ok(cancelled.actionStates.filter((a) => a.actionType !== 'cancelOrder').every((a) => a.actionStatus === 'FAILED' || a.actionStatus === 'FINISHED'));
    assert.ok(wire.some((w) => w.topic.endsWith('/agv-2/instantActions')));
    await until('outcome', () => fleet.order('w-2')?.outcome);
    assert.equal(fleet.order('w-2')?.outcome, 'cancelled');
    assert.equal(bridge.updates.some((u) => u.type === 'pick.confirmed' || u.type === 'task.failed'), false);
  });

  it('master control reconnects after its connection is cut and goes on receiving states', async () => {
    await startAgv('agv-4', 10);
    await until('online', () => bridge.updates.find((u) => u.type === 'device.status'));
    const reconnected = new Promise<void>((r) => master.once('connected', () => r()));
    (master as unknown as { client: MqttClient }).client.stream.destroy();
    await reconnected;
    bridge.push(robotWork('w-4', LINES));
    const confirmed = await until('pick.confirmed', () => bridge.updates.find((u) => u.type === 'pick.confirmed'));
    assert.equal(confirmed.key, 'vda5050:w-4:picked');
  });

  it('a SIGKILLed AGV process: its last will arrives and the adapter sends device.status offline', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../../adapters/vda5050/cli.ts'), 'agv', '--url', URL, '--manufacturer', manufacturer, '--serial', 'agv-3', '--step-ms', '50'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const online = await until('online', () => bridge.updates.find((u) => u.deviceId === 'agv-3' && u.type === 'device.status'));
    assert.deepEqual(online.payload, { status: 'online', family: 'robot_fleet' });
    child.kill('SIGKILL');
    const offline = await until('offline', () => bridge.updates.find((u) => u.deviceId === 'agv-3' && (u.payload as { status?: string }).status === 'offline'));
    assert.deepEqual(offline.payload, { status: 'offline', family: 'robot_fleet', error: 'VDA 5050 connection CONNECTIONBROKEN' });
    assert.ok(wire.some((w) => w.topic.endsWith('/agv-3/connection') && w.message.connectionState === 'CONNECTIONBROKEN'));
  });
});
