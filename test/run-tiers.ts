import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { ServiceContainers } from './support/containers';
import { AMQP_URL, PG } from './support/env';
import { dockerAvailable, locateOdoo, SERIES, seriesOf, type OdooSeries } from './support/odoo';

/**
 * `npm test`: every tier that can run here, in order, and a loud line for each tier that cannot.
 * The tiers that talk to RabbitMQ run once per broker that answers (the local one at AMQP_URL, and
 * RabbitMQ 4 at AMQP4_URL, default amqp://guest:guest@127.0.0.1:5673); the tiers that need Odoo run once
 * per series whose source is present (18: ODOO_SRC, 19: ODOO19_SRC; ODOO_SERIES picks one): the first
 * series on every broker, each other series on the newest broker (RabbitMQ 4 when it answers), so every
 * series and every broker is covered without the whole cross product, which CI's 90 minutes do not
 * hold. The cluster tier starts its own 3-node RabbitMQ 4 cluster and runs once. The regression tier (Odoo's own stock tests with the addon) runs once per series source tree.
 * Every run prints its time; the last line is the total, "N passed, N failed, N skipped".
 */
type Needs = 'nothing' | 'broker' | 'odoo' | 'odoo-source';
type Tier = { name: string; script: string; needs: Needs };
type Broker = { name: string; url: string };
type Run = { label: string; env: Record<string, string> };

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

const AMQP4_URL = process.env.AMQP4_URL ?? 'amqp://guest:guest@127.0.0.1:5673';

function brokerAddress(url: string): { host: string; port: number } {
  const u = new URL(url.replace(/^amqps?:/, 'http:'));
  return { host: u.hostname, port: Number(u.port || 5672) };
}

async function servicesReady(): Promise<string | undefined> {
  const amqp = brokerAddress(AMQP_URL);
  const missing: string[] = [];
  if (!(await reachable(amqp.host, amqp.port))) missing.push(`RabbitMQ at ${amqp.host}:${amqp.port}`);
  if (!(await reachable(PG.host, PG.port))) missing.push(`PostgreSQL at ${PG.host}:${PG.port}`);
  if (!missing.length || containers) return undefined;
  if (!(await dockerAvailable())) return `${missing.join(' and ')} not reachable and no Docker engine for testcontainers`;
  process.stdout.write(`${missing.join(' and ')} not reachable: starting them with testcontainers\n`);
  containers = await (await import('./support/containers')).startServiceContainers();
  Object.assign(tierEnv, containers.env);
  return undefined;
}

/** The brokers the broker tiers run against: the local one, and RabbitMQ 4 when it answers. */
async function brokers(skipped: string[]): Promise<Broker[]> {
  const list: Broker[] = [{ name: 'rabbitmq', url: tierEnv.AMQP_URL ?? AMQP_URL }];
  const four = brokerAddress(AMQP4_URL);
  if (await reachable(four.host, four.port)) list.push({ name: 'rabbitmq-4', url: AMQP4_URL });
  else skipped.push(`RabbitMQ 4 SKIPPED: nothing answers at ${four.host}:${four.port} (AMQP4_URL); the broker tiers run on the local broker only`);
  return list;
}

/** The Odoo series the odoo tiers run against: each whose source (or ODOO_URL / Docker) is there. */
async function series(skipped: string[]): Promise<OdooSeries[]> {
  const wanted = process.env.ODOO_SERIES ? [seriesOf()] : [...SERIES];
  const found: OdooSeries[] = [];
  for (const s of wanted) {
    const source = await locateOdoo(process.env, s);
    if (source.kind === 'none') skipped.push(`Odoo ${s} SKIPPED: ${source.why}`);
    else found.push(s);
  }
  return found;
}

const TIERS: Tier[] = [
  { name: 'unit', script: 'test:unit', needs: 'nothing' },
  { name: 'integration', script: 'test:int', needs: 'broker' },
  // Brings up its own 3-node RabbitMQ 4 cluster (tools/rabbitmq4.sh), so it runs once, on no broker given.
  { name: 'cluster', script: 'test:cluster', needs: 'nothing' },
  { name: 'odoo', script: 'test:odoo', needs: 'odoo' },
  { name: 'e2e', script: 'test:e2e', needs: 'odoo' },
  { name: 'faults', script: 'test:faults', needs: 'odoo' },
  { name: 'regression', script: 'test:regression', needs: 'odoo-source' },
];

function loud(line: string): void {
  process.stdout.write(`\n${'!'.repeat(line.length)}\n${line}\n${'!'.repeat(line.length)}\n`);
}

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  const dir = join(process.cwd(), '.tier-results');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const totals = { passes: 0, failures: 0, pending: 0 };
  const lines: string[] = [];
  const failures: string[] = [];
  const skipped: string[] = [];
  let failed = false;
  const services = await servicesReady();
  const brokerList = services ? [] : await brokers(skipped);
  const seriesList = services ? [] : await series(skipped);
  for (const line of skipped) loud(`!!! ${line}`);
  for (const tier of TIERS) {
    if (only.length && !only.includes(tier.name)) continue;
    if (tier.needs !== 'nothing' && services) {
      const line = `!!! ${tier.name} tier SKIPPED: ${services}`;
      loud(line);
      lines.push(line);
      continue;
    }
    if ((tier.needs === 'odoo' || tier.needs === 'odoo-source') && !seriesList.length) {
      const line = `!!! ${tier.name} tier SKIPPED: no Odoo series to run against (${skipped.filter((l) => l.startsWith('Odoo')).join('; ')})`;
      loud(line);
      lines.push(line);
      continue;
    }
    const folder = join('test', tier.name);
    if (!existsSync(folder) || !readdirSync(folder, { recursive: true }).some((f) => String(f).endsWith('.spec.ts'))) {
      lines.push(`    ${tier.name}: no suites yet`);
      continue;
    }
    const runs: Run[] =
      tier.needs === 'nothing'
        ? [{ label: tier.name, env: {} }]
        : tier.needs === 'broker'
          ? brokerList.map((b) => ({ label: `${tier.name} [${b.name}]`, env: { AMQP_URL: b.url } }))
          : tier.needs === 'odoo-source'
            ? [{ label: tier.name, env: { REGRESSION_SERIES: seriesList.join(',') } }]
            : seriesList.flatMap((s, i) =>
                (i === 0 ? brokerList : brokerList.slice(-1)).map((b) => ({ label: `${tier.name} [odoo ${s}, ${b.name}]`, env: { AMQP_URL: b.url, ODOO_SERIES: String(s) } })),
              );
    for (const run of runs) {
      process.stdout.write(`\n=== ${run.label} (npm run ${tier.script}) ===\n`);
      const file = join(dir, `${run.label.replace(/[^\w]+/g, '-').replace(/-$/, '')}.json`);
      const started = Date.now();
      const res = spawnSync('npm', ['run', '--silent', tier.script], { stdio: 'inherit', env: { ...process.env, ...tierEnv, ...run.env, TIER_RESULTS_FILE: file } });
      const took = `${Math.round((Date.now() - started) / 1000)} s`;
      const stats = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as typeof totals & { tests: number; failed?: Array<{ title: string; error: string }> }) : undefined;
      if (!stats) {
        failed = true;
        lines.push(`    ${run.label}: FAILED to run (exit ${res.status}) in ${took}`);
        continue;
      }
      if (res.status !== 0) failed = true;
      totals.passes += stats.passes;
      totals.failures += stats.failures;
      totals.pending += stats.pending;
      for (const f of stats.failed ?? []) failures.push(`--- ${run.label}: ${f.title}\n${f.error.replace(/^/gm, '    ')}`);
      if (existsSync(`${file}.skips`)) for (const why of readFileSync(`${file}.skips`, 'utf8').split('\n').filter(Boolean)) skipped.push(`${run.label}: SKIPPED ${why}`);
      lines.push(`    ${run.label}: ${stats.passes} passed, ${stats.failures} failed, ${stats.pending} skipped${res.status !== 0 && !stats.failures ? ` (exit ${res.status})` : ''} in ${took}`);
    }
  }
  await containers?.stop();
  if (failures.length) process.stdout.write(`\nFailed tests:\n${failures.join('\n')}\n`);
  process.stdout.write(`\nTiers:\n${lines.join('\n')}\n${skipped.map((l) => `!!! ${l}`).join('\n')}\n\n`);
  process.stdout.write(`${totals.passes} passed, ${totals.failures} failed, ${totals.pending} skipped\n`);
  return failed || totals.failures ? 1 : 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`run-tiers: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
