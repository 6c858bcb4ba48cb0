/**
 * npm run simulate -- <barcode|sorter|robot-fleet|all|a,b> [--address 127.0.0.1:50051] [--token T]
 *   [--adapter-id ID] [--tokens-file FILE] [--seed 1] [--fail-rate 0.05] [--devices N] [--speed 1|10|max]
 *   [--duration S] [--warehouse WH] [--chute C] [--carrier NAME] [--tls] [--ca file] [--dry-run]
 * Follows the work the gateway sends (the default): each family announces its work capability, waits for
 * work and acts only on the work it received; it runs until SIGINT or --duration seconds, then prints
 * one JSON line per family. Without --token/--adapter-id each family connects as its adapter of
 * deploy/gateway-tokens.example.json (or of --tokens-file).
 *
 * npm run simulate -- <family> --replay [--rate 3] [--duration 60] ... plays the old synthetic scenario
 * (invented pickings, for gateway load without Odoo; never against a real database).
 */
import { readFileSync } from 'node:fs';
import { AdapterClient } from '@logistics-bridge/adapter-sdk';
import type { Family } from '@logistics-bridge/contract';
import { DEFAULT_ADAPTERS, disconnectLine, familiesOf } from './defaults';
import { Floor, WORK_CAPABILITIES, followWork, type FollowStats } from './follow';
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

const USAGE =
  'usage: simulate <barcode|sorter|robot-fleet|all> [--address host:port] [--token TOKEN] [--adapter-id ID] [--tokens-file FILE] [--seed N] [--fail-rate P] [--devices N] [--speed X|max] [--duration S] [--warehouse WH] [--chute C] [--carrier NAME] [--tls] [--ca FILE] [--dry-run] | simulate <family> --replay [--rate R] ...';

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
      throw new Error(USAGE);
  }
}

/** Adapter id and token of each family: flags for one family, else the token file's (or the example's) entries. */
function identities(families: Family[], flags: Map<string, string>): Map<Family, { adapterId: string; token: string }> {
  if (families.length > 1 && (flags.has('token') || flags.has('adapter-id'))) throw new Error('--token and --adapter-id name one adapter: give one family, or use --tokens-file');
  const file = flags.get('tokens-file');
  const entries = file ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, { token?: unknown; family?: unknown }>) : undefined;
  const out = new Map<Family, { adapterId: string; token: string }>();
  for (const f of families) {
    const adapterId = flags.get('adapter-id') ?? DEFAULT_ADAPTERS[f].adapterId;
    const fromFile = entries?.[adapterId]?.token;
    const token = flags.get('token') ?? (typeof fromFile === 'string' ? fromFile : file ? undefined : DEFAULT_ADAPTERS[f].token);
    if (!token) throw new Error(`no token for adapter ${adapterId} in ${file}`);
    out.set(f, { adapterId, token });
  }
  return out;
}

const DEVICE_PREFIX: Record<Family, string> = { barcode: 'scanner', sorter: 'sorter', robot_fleet: 'amr' };

async function follow(families: Family[], flags: Map<string, string>): Promise<void> {
  const ids = identities(families, flags);
  const devices = num(flags, 'devices', 2);
  const seed = num(flags, 'seed', 1);
  const failRate = num(flags, 'fail-rate', 0.05);
  if (failRate > 1) throw new Error(`--fail-rate must be between 0 and 1, got ${failRate}`);
  const warehouse = flags.get('warehouse') ?? 'WH';
  if (flags.has('dry-run')) {
    for (const f of families) process.stdout.write(`${JSON.stringify({ mode: 'follow', family: f, adapter_id: ids.get(f)?.adapterId, capability: WORK_CAPABILITIES[f], devices, seed, fail_rate: failRate, warehouse })}\n`);
    return;
  }
  const address = flags.get('address') ?? '127.0.0.1:50051';
  const speedFlag = flags.get('speed') ?? '1';
  const speed = speedFlag === 'max' ? Number.POSITIVE_INFINITY : num(flags, 'speed', 1);
  const ca = flags.get('ca');
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  const duration = flags.get('duration');
  if (duration !== undefined) setTimeout(() => controller.abort(), num(flags, 'duration', 0) * 1000).unref();
  const floor = new Floor(families);
  const clients = families.map((family) => {
    const { adapterId, token } = ids.get(family) as { adapterId: string; token: string };
    const client = new AdapterClient({
      address,
      token,
      family,
      adapterId,
      tls: ca ? { rootCerts: readFileSync(ca) } : flags.has('tls'),
      hello: { vendor: 'logistics-bridge', model: `${family}-simulator`, softwareVersion: '2', warehouse, capabilities: [WORK_CAPABILITIES[family]] },
      signal: controller.signal,
    });
    client.on('reject', (r) => process.stderr.write(`${adapterId}: reject seq=${r.sequence} ${r.status} ${r.fieldPath}: ${r.message}\n`));
    client.on('disconnected', (d) => process.stderr.write(`${adapterId}: ${disconnectLine(d)}\n`));
    return { family, adapterId, client };
  });
  await Promise.all(clients.map((c) => c.client.start()));
  process.stderr.write(`following work as ${clients.map((c) => c.adapterId).join(', ')} at ${address}\n`);
  controller.signal.addEventListener('abort', () => {
    for (const c of clients) void c.client.close(5_000).catch(() => undefined);
  });
  const results = await Promise.all(
    clients.map(async (c): Promise<[typeof c, FollowStats]> => [
      c,
      await followWork({
        family: c.family,
        client: c.client,
        devices: Array.from({ length: Math.max(1, devices) }, (_, i) => `${DEVICE_PREFIX[c.family]}-${String(i + 1).padStart(2, '0')}`),
        seed,
        failRate,
        speed,
        floor,
        ...(flags.get('chute') ? { defaultChute: flags.get('chute') as string } : {}),
        ...(flags.get('carrier') ? { carrier: flags.get('carrier') as string } : {}),
        log: (line) => process.stderr.write(`${line}\n`),
        signal: controller.signal,
      }),
    ]),
  );
  for (const [c, stats] of results) process.stdout.write(`${JSON.stringify({ mode: 'follow', family: c.family, adapter_id: c.adapterId, ...stats, ...c.client.stats })}\n`);
}

async function replay(family: string, flags: Map<string, string>): Promise<void> {
  const s = build(family, flags);
  const { scenario } = s;
  if (flags.has('dry-run')) {
    for (const u of scenario.expected) process.stdout.write(`${JSON.stringify(u)}\n`);
    process.stdout.write(`${JSON.stringify({ family: scenario.family, adapter_id: scenario.adapterId, devices: scenario.deviceIds, events: scenario.events.length, expected_updates: scenario.expected.length, ...scenario.summary })}\n`);
    return;
  }
  const address = flags.get('address') ?? '127.0.0.1:50051';
  const token = flags.get('token') ?? DEFAULT_ADAPTERS[scenario.family].token;
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
  client.on('disconnected', (d) => process.stderr.write(`${disconnectLine(d)}\n`));
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

async function main(): Promise<void> {
  const { family, flags } = parseArgs(process.argv.slice(2));
  if (flags.has('replay')) return replay(family, flags);
  const families = familiesOf(family);
  if (!families) throw new Error(USAGE);
  return follow(families, flags);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
