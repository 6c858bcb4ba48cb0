import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { ServiceContainers } from './support/containers';
import { AMQP_URL, PG } from './support/env';
import { dockerAvailable, locateOdoo } from './support/odoo';
import { SERIES, seriesSource } from './regression/odoo-suites';

/**
 * `npm test`: every tier that can run here, in order, and a loud line for each tier that cannot.
 * The last line is the total, "N passed, N failed, N skipped".
 */
type Tier = { name: string; script: string; ready: () => Promise<string | undefined> };

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

/** Extra environment for the tiers: the testcontainers services when the local ones are missing. */
const tierEnv: Record<string, string> = {};
let containers: ServiceContainers | undefined;

async function servicesReady(): Promise<string | undefined> {
  const amqp = new URL(AMQP_URL.replace(/^amqps?:/, 'http:'));
  const missing: string[] = [];
  if (!(await reachable(amqp.hostname, Number(amqp.port || 5672)))) missing.push(`RabbitMQ at ${amqp.hostname}:${amqp.port || 5672}`);
  if (!(await reachable(PG.host, PG.port))) missing.push(`PostgreSQL at ${PG.host}:${PG.port}`);
  if (!missing.length || containers) return undefined;
  if (!(await dockerAvailable())) return `${missing.join(' and ')} not reachable and no Docker engine for testcontainers`;
  process.stdout.write(`${missing.join(' and ')} not reachable: starting them with testcontainers\n`);
  containers = await (await import('./support/containers')).startServiceContainers();
  Object.assign(tierEnv, containers.env);
  return undefined;
}

async function odooReady(): Promise<string | undefined> {
  const services = await servicesReady();
  if (services) return services;
  const source = await locateOdoo();
  return source.kind === 'none' ? source.why : undefined;
}

/** Odoo's own stock tests with the addon need a source tree of a series (a running Odoo is not enough). */
async function regressionReady(): Promise<string | undefined> {
  const services = await servicesReady();
  if (services) return services;
  const sources = SERIES.map((series) => seriesSource(series));
  return sources.some((s) => 'src' in s) ? undefined : sources.map((s) => ('why' in s ? s.why : '')).join('; ');
}

const TIERS: Tier[] = [
  { name: 'unit', script: 'test:unit', ready: async () => undefined },
  { name: 'integration', script: 'test:int', ready: servicesReady },
  { name: 'odoo', script: 'test:odoo', ready: odooReady },
  { name: 'e2e', script: 'test:e2e', ready: odooReady },
  { name: 'faults', script: 'test:faults', ready: odooReady },
  { name: 'regression', script: 'test:regression', ready: regressionReady },
];

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  const dir = join(process.cwd(), '.tier-results');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const totals = { passes: 0, failures: 0, pending: 0 };
  const lines: string[] = [];
  let failed = false;
  for (const tier of TIERS) {
    if (only.length && !only.includes(tier.name)) continue;
    const why = await tier.ready();
    if (why) {
      const line = `!!! ${tier.name} tier SKIPPED: ${why}`;
      process.stdout.write(`\n${'!'.repeat(line.length)}\n${line}\n${'!'.repeat(line.length)}\n`);
      lines.push(line);
      continue;
    }
    const folder = join('test', tier.name);
    if (!existsSync(folder) || !readdirSync(folder, { recursive: true }).some((f) => String(f).endsWith('.spec.ts'))) {
      lines.push(`    ${tier.name}: no suites yet`);
      continue;
    }
    process.stdout.write(`\n=== ${tier.name} tier (npm run ${tier.script}) ===\n`);
    const file = join(dir, `${tier.name}.json`);
    const res = spawnSync('npm', ['run', '--silent', tier.script], { stdio: 'inherit', env: { ...process.env, ...tierEnv, TIER_RESULTS_FILE: file } });
    const stats = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as typeof totals & { tests: number }) : undefined;
    if (!stats) {
      failed = true;
      lines.push(`    ${tier.name}: FAILED to run (exit ${res.status})`);
      continue;
    }
    if (res.status !== 0) failed = true;
    totals.passes += stats.passes;
    totals.failures += stats.failures;
    totals.pending += stats.pending;
    lines.push(`    ${tier.name}: ${stats.passes} passed, ${stats.failures} failed, ${stats.pending} skipped${res.status !== 0 && !stats.failures ? ` (exit ${res.status})` : ''}`);
  }
  await containers?.stop();
  process.stdout.write(`\nTiers:\n${lines.join('\n')}\n\n`);
  process.stdout.write(`${totals.passes} passed, ${totals.failures} failed, ${totals.pending} skipped\n`);
  return failed || totals.failures ? 1 : 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`run-tiers: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
