/**
 * `npx tsx adapters/vda5050/cli.ts agv --url mqtt://127.0.0.1:1883 --manufacturer acme --serial agv-1 [--x 0 --y 0 --map hall1] [--step-ms 200] [--failure-rate 0.1] [--seed 1]`
 * runs one simulated vehicle until SIGINT / SIGTERM (orderly OFFLINE) or SIGKILL (its last will).
 *
 * `npx tsx adapters/vda5050/cli.ts fleet --url mqtt://… --manufacturer acme --layout layout.json --address 127.0.0.1:50051 --token … --adapter-id fleet-a`
 * runs the reference fleet adapter: work from the bridge's gateway to the vehicles, outcomes back.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { connect } from '@logistics-bridge/adapter-sdk';
import { createLogger } from './log';
import { Fleet } from './fleet';
import { runFleetAdapter } from './fleet-adapter';
import { parseLayout } from './layout';
import { MasterControl } from './master-control';
import { SERIAL_NUMBER } from './messages';
import { SimulatedAgv } from './simulated-agv';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
    manufacturer: { type: 'string', default: 'logistics-bridge' },
    serial: { type: 'string', default: 'agv-1' },
    x: { type: 'string', default: '0' },
    y: { type: 'string', default: '0' },
    map: { type: 'string', default: 'map-1' },
    'step-ms': { type: 'string', default: '200' },
    'failure-rate': { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
    layout: { type: 'string' },
    address: { type: 'string', default: '127.0.0.1:50051' },
    token: { type: 'string', default: '' },
    'adapter-id': { type: 'string', default: 'vda5050-fleet' },
    'load-type': { type: 'string', default: 'TOTE' },
  },
});

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const ctl = new AbortController();
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => ctl.abort());
  const log = createLogger('info').child({ module: 'vda5050' });
  if (positionals[0] === 'agv') {
    if (!SERIAL_NUMBER.test(values.serial)) fail(`--serial ${values.serial}: only A-Z a-z 0-9 _ . : - are allowed`);
    const agv = new SimulatedAgv({
      url: values.url,
      manufacturer: values.manufacturer,
      serialNumber: values.serial,
      position: { x: Number(values.x), y: Number(values.y), theta: 0, mapId: values.map },
      stepMs: Number(values['step-ms']),
      failureRate: Number(values['failure-rate']),
      seed: Number(values.seed),
    });
    await agv.start(ctl.signal);
    process.stdout.write(`agv ${values.serial} online\n`);
    return;
  }
  if (positionals[0] === 'fleet') {
    if (!values.layout) fail('--layout <file> is required (the JSON of logistics.bridge.vda.node vda_layout())');
    const layout = parseLayout(JSON.parse(readFileSync(values.layout, 'utf8')));
    const master = new MasterControl({ url: values.url, manufacturer: values.manufacturer, log });
    await master.start(ctl.signal);
    const bridge = await connect({ address: values.address, token: values.token, family: 'robot_fleet', adapterId: values['adapter-id'], signal: ctl.signal, hello: { capabilities: ['work.robot_order'] } });
    await runFleetAdapter({ bridge, master, fleet: new Fleet({ layout, loadType: values['load-type'], fleetDeviceId: values['adapter-id'] }), log, signal: ctl.signal });
    return;
  }
  fail('usage: cli.ts agv|fleet [options] (see the header of adapters/vda5050/cli.ts)');
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
