/**
 * npm run simulate -- <barcode|sorter|robot-fleet> --address 127.0.0.1:50051 --token T [--adapter-id ID]
 *   [--seed 1] [--duration 60] [--rate 3] [--devices N] [--speed 1|10|max] [--tls] [--ca file]
 *   [--dry-run] (print the scenario summary and expected updates without connecting)
 * Plays a deterministic scenario through the reference adapter and the SDK, then prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { AdapterClient } from '@logistics-bridge/adapter-sdk';
import { barcodeScenario, robotFleetScenario, runScenario, sorterScenario, type AnyScenario } from './index';

function parseArgs(argv: string[]): { family: string; flags: Map<string, string> } {
  const [family = '', ...rest] = argv;
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 1) {
    const arg = rest[i] as string;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const next = rest[i + 1];
    if (next === undefined || next.startsWith('--')) flags.set(arg.slice(2), 'true');
    else {
      flags.set(arg.slice(2), next);
      i += 1;
    }
  }
  return { family, flags };
}

function num(flags: Map<string, string>, name: string, fallback: number): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${raw}`);
  return n;
}

function build(family: string, flags: Map<string, string>): AnyScenario {
  const seed = num(flags, 'seed', 1);
  const durationMs = num(flags, 'duration', 60) * 1000;
  const adapterId = flags.get('adapter-id');
  const common = { seed, durationMs, ...(adapterId ? { adapterId } : {}) };
  switch (family) {
    case 'barcode':
      return { kind: 'barcode', scenario: barcodeScenario({ ...common, scanners: num(flags, 'devices', 3) }) };
    case 'sorter':
      return { kind: 'sorter', scenario: sorterScenario({ ...common, rate: num(flags, 'rate', 3), inductions: num(flags, 'devices', 2) }) };
    case 'robot-fleet':
    case 'robot_fleet':
      return { kind: 'robot_fleet', scenario: robotFleetScenario({ ...common, robots: num(flags, 'devices', 4), hz: num(flags, 'rate', 10) }) };
    default:
      throw new Error('usage: simulate <barcode|sorter|robot-fleet> --address host:port --token TOKEN [--adapter-id ID] [--seed N] [--duration S] [--rate R] [--devices N] [--speed X|max] [--tls] [--ca FILE] [--dry-run]');
  }
}

async function main(): Promise<void> {
  const { family, flags } = parseArgs(process.argv.slice(2));
  const s = build(family, flags);
  const { scenario } = s;
  if (flags.has('dry-run')) {
    for (const u of scenario.expected) process.stdout.write(`${JSON.stringify(u)}\n`);
    process.stdout.write(`${JSON.stringify({ family: scenario.family, adapter_id: scenario.adapterId, devices: scenario.deviceIds, events: scenario.events.length, expected_updates: scenario.expected.length, ...scenario.summary })}\n`);
    return;
  }
  const address = flags.get('address');
  const token = flags.get('token');
  if (!address || !token) throw new Error('--address and --token are required (or --dry-run)');
  const speedFlag = flags.get('speed') ?? '1';
  const speed = speedFlag === 'max' ? Number.POSITIVE_INFINITY : num(flags, 'speed', 1);
  const ca = flags.get('ca');
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const client = new AdapterClient({
    address,
    token,
    family: scenario.family,
    adapterId: scenario.adapterId,
    tls: ca ? { rootCerts: readFileSync(ca) } : flags.has('tls'),
    hello: { vendor: 'logistics-bridge', model: `${scenario.family}-simulator`, softwareVersion: '1', warehouse: 'WH' },
    signal: controller.signal,
  });
  client.on('reject', (r) => process.stderr.write(`reject seq=${r.sequence} ${r.status} ${r.fieldPath}: ${r.message}\n`));
  client.on('disconnected', (d) => process.stderr.write(`disconnected (${d.code} ${d.details}); reconnecting in ${d.reconnectInMs} ms\n`));
  // Listeners first, so a gateway that is not there yet says so instead of a silent wait.
  await client.start();
  const started = Date.now();
  await runScenario(s, client, { speed, signal: controller.signal });
  await client.flush(60_000);
  const seconds = (Date.now() - started) / 1000;
  await client.close();
  process.stdout.write(
    `${JSON.stringify({ family: scenario.family, adapter_id: scenario.adapterId, events: scenario.events.length, expected_updates: scenario.expected.length, seconds, events_per_s: Math.round(scenario.events.length / seconds), ...client.stats })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
