import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { hostname, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { PG } from '../support/env';
import { copyTemplate, dropDatabase, ensureTemplate, freePort, odooBin, writeConfig } from '../support/odoo';
import { parseTestLog, type TestRun } from './odoo-log';

/**
 * The regression tier's runs: Odoo's own stock, sale_stock and purchase_stock tests on a copy of the odoo
 * tier's template database, with the addon installed first or not at all (the baseline), every test
 * run after the whole registry is loaded (odoo_tests_after_load.py) so that the addon's overrides are
 * present for the at_install tests too.
 */

export type Series = '18' | '19';
export const SERIES: Series[] = ['18', '19'];
export const MODULES = ['stock', 'sale_stock', 'purchase_stock'];
const TEST_TAGS = MODULES.map((m) => `/${m}`).join(',');
const LAUNCHER = resolve(__dirname, 'odoo_tests_after_load.py');

export const baselineFile = (series: Series) => resolve(__dirname, `baseline-${series}.txt`);

/** The series' source tree (ODOO_SRC / ODOO19_SRC, else /opt/odoo-src / /opt/odoo19-src), or why there is none. */
export function seriesSource(series: Series, env: NodeJS.ProcessEnv = process.env): { src: string } | { why: string } {
  const [variable, fallback] = series === '18' ? ['ODOO_SRC', '/opt/odoo-src'] : ['ODOO19_SRC', '/opt/odoo19-src'];
  const src = env[variable] ?? fallback;
  if (existsSync(join(src, 'odoo-bin'))) return { src };
  return { why: `no Odoo ${series} source tree at ${src} (set ${variable})` };
}

/** odoo-bin's arguments for the tests (the same with and without the addon); `tags` narrows them for a quick check. */
export const testArgs = (db: string, tags = TEST_TAGS) => ['-d', db, '--test-enable', `--test-tags=${tags}`, '--stop-after-init'];

export type SuiteOutcome =
  | { kind: 'ran'; run: TestRun; code: number; logFile: string; command: string }
  | { kind: 'addon-not-installable'; detail: string; logFile: string };

async function moduleState(db: string, module: string): Promise<string | undefined> {
  const client = new Client({ ...PG, user: process.env.PGUSER ?? 'postgres', database: db });
  await client.connect();
  try {
    const r = await client.query<{ state: string }>('SELECT state FROM ir_module_module WHERE name = $1', [module]);
    return r.rows[0]?.state;
  } finally {
    await client.end();
  }
}

/** Runs the three suites once on a throw-away database, with the addon installed first when `withAddon`. */
export async function runSuites(series: Series, src: string, withAddon: boolean, log: (line: string) => void, tags?: string): Promise<SuiteOutcome> {
  const dir = mkdtempSync(join(tmpdir(), `lb-regression-${series}-`));
  const db = `lb_regression_${series}_${withAddon ? 'addon' : 'base'}_${process.pid}`;
  await copyTemplate(await ensureTemplate(src, dir, log), db);
  const conf = writeConfig(src, dir, await freePort());
  try {
    if (withAddon) {
      const installLog = join(dir, 'install.log');
      const install = await odooBin(src, conf, ['-d', db, '-i', 'logistics_bridge', '--stop-after-init'], installLog);
      const state = await moduleState(db, 'logistics_bridge');
      if (state !== 'installed') {
        const reasons = install.log.split('\n').filter((l) => /logistics_bridge|not installable|ERROR|CRITICAL/.test(l));
        return { kind: 'addon-not-installable', detail: `exit ${install.code}, module state ${state ?? 'unknown'}: ${reasons.slice(-5).join(' | ')}`, logFile: installLog };
      }
    }
    const logFile = join(dir, 'tests.log');
    const args = testArgs(db, tags);
    log(`Odoo ${series} ${tags ?? MODULES.join(', ')} tests ${withAddon ? 'WITH' : 'WITHOUT'} logistics_bridge (about 10 minutes for all; log ${logFile})`);
    const res = await odooBin(src, conf, args, logFile, LAUNCHER);
    return { kind: 'ran', run: parseTestLog(readFileSync(logFile, 'utf8')), code: res.code, logFile, command: `python3 ${LAUNCHER} -c <odoo tier config> ${args.join(' ')}` };
  } finally {
    await dropDatabase(db);
  }
}

/** The baseline header: what was measured, how, where and when. */
export function baselineHeader(series: Series, src: string, command: string): string[] {
  const snapshot = existsSync(join(src, '.snapshot')) ? readFileSync(join(src, '.snapshot'), 'utf8').trim() : 'unknown';
  let version = 'unknown';
  try {
    version = execFileSync('/usr/bin/python3', ['-c', 'import odoo.release as r; print(r.version)'], { cwd: src, encoding: 'utf8' }).trim();
  } catch {
    // the header says unknown
  }
  return [
    `Odoo ${series} ${MODULES.join(', ')} tests WITHOUT logistics_bridge: the tests that fail (one id a line).`,
    `produced by: npm run regression:baseline -- ${series}`,
    `which runs: ${command}`,
    `on a copy of the odoo tier's template database (${MODULES.join(', ')} installed, no demo data)`,
    `source: ${src} (Odoo ${version}, snapshot ${snapshot})`,
    `measured: ${new Date().toISOString()} on ${hostname()}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  ];
}
