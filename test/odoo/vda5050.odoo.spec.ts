import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { connect, type AdapterClient } from '@logistics-bridge/adapter-sdk';
import { Fleet, MasterControl, runFleetAdapter } from '../../adapters/vda5050';
import { OdooFixtures } from '../../tools/fixtures';
import { silentLog, startApplier, type RunningApplier } from '../support/applier';
import { startGateway, tokenOf, type GatewayFixture } from '../support/gateway';
import { LAYOUT } from '../unit/vda5050/fixtures';
import { odooTarget } from './hooks';

/**
 * A VDA 5050 vehicle seen in Odoo: simulated AGV process → Mosquitto → the fleet adapter → SDK →
 * gateway → RabbitMQ → applier → the device registry. Killing the AGV (SIGKILL) leaves only its last
 * will to say it is gone.
 */
describe('odoo tier: a VDA 5050 AGV online and, once killed, offline in the device registry', function () {
  this.timeout(300_000);
  const manufacturer = `lbodoo${randomBytes(4).toString('hex')}`;
  const serial = `agv-${randomBytes(3).toString('hex')}`;
  const ctl = new AbortController();
  let gw: GatewayFixture;
  let applier: RunningApplier;
  let client: AdapterClient;
  let fx: OdooFixtures;
  let agv: ChildProcess | undefined;
  let running: Promise<void>;

  before(async () => {
    const t = odooTarget();
    fx = await OdooFixtures.connect({ url: t.url, db: t.db, login: t.admin.login, password: t.admin.secret });
    gw = await startGateway();
    applier = await startApplier(t, gw.queue.slice(0, -'logistics.updates'.length));
    const log = silentLog();
    const master = new MasterControl({ url: 'mqtt://127.0.0.1:1883', manufacturer, log });
    await master.start(ctl.signal);
    client = await connect({ address: `127.0.0.1:${gw.port}`, token: tokenOf('fleet-a'), family: 'robot_fleet', adapterId: 'fleet-a', signal: ctl.signal });
    running = runFleetAdapter({ bridge: client, master, fleet: new Fleet({ layout: LAYOUT, fleetDeviceId: 'fleet-a' }), log, signal: ctl.signal });
  });

  after(async () => {
    agv?.kill('SIGKILL');
    await client?.close(2000).catch(() => undefined);
    ctl.abort();
    await running?.catch(() => undefined);
    await applier?.stop();
    await gw?.stop();
    // Leave no retained last will behind on the shared broker.
    const c = await mqtt.connectAsync('mqtt://127.0.0.1:1883');
    await c.publishAsync(`uagv/v2/${manufacturer}/${serial}/connection`, '', { retain: true, qos: 1 });
    await c.endAsync();
  });

  async function deviceState(): Promise<string | undefined> {
    const rows = await fx.searchRead<{ state: string }>('logistics.bridge.device', [['name', '=', serial]], ['state']);
    return rows[0]?.state;
  }

  async function until(what: string, probe: () => Promise<boolean>, limitMs = 60_000): Promise<void> {
    const end = Date.now() + limitMs;
    while (!(await probe())) {
      if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it('shows the robot online, then offline after its process is SIGKILLed', async () => {
    agv = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../../adapters/vda5050/cli.ts'), 'agv', '--manufacturer', manufacturer, '--serial', serial], { stdio: 'ignore' });
    await until('online in Odoo', async () => (await deviceState()) === 'online');
    agv.kill('SIGKILL');
    await until('offline in Odoo', async () => (await deviceState()) === 'offline');
    const [device] = await fx.searchRead<{ family: string; adapter_id: string }>('logistics.bridge.device', [['name', '=', serial]], ['family', 'adapter_id']);
    assert.deepEqual(device, { id: (device as unknown as { id: number }).id, family: 'robot_fleet', adapter_id: 'fleet-a' });
  });
});
