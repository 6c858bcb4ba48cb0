import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { PG } from './env';

/**
 * The odoo tier's harness, for one Odoo series per run (ODOO_SERIES=18, the default, or 19; test/run-tiers.ts
 * runs each series whose source is present). It never relies on an Odoo somebody else started: given the
 * series' source tree (18: ODOO_SRC, else /opt/odoo-src; 19: ODOO19_SRC, else /opt/odoo19-src) it creates a throw-away database from a cached template
 * (stock, sale_stock, purchase_stock pre-installed: creating that takes ~50 s, copying it ~1 s),
 * installs the addon, starts its own server on a free port with cron threads off, and drops it all
 * afterwards. Given ODOO_URL instead, it uses that server as it is (the addon must be installed).
 */

const exec = promisify(execFile);
export const ADDON_DIR = resolve(__dirname, '../../odoo_addon');
const PYTHON = process.env.ODOO_PYTHON ?? '/usr/bin/python3';
const DEPENDENCIES = ['stock', 'sale_stock', 'purchase_stock'];
const DB_ROLE = { user: process.env.ODOO_DB_USER ?? 'odoo', password: process.env.ODOO_DB_PASSWORD ?? 'odoo' };

export interface Credentials {
  login: string;
  secret: string;
}

/** The Odoo series the bridge supports; each has its own source tree and template database. */
export const SERIES = [18, 19] as const;
export type OdooSeries = (typeof SERIES)[number];

/** The series this test process runs against: ODOO_SERIES, 18 when unset. */
export function seriesOf(env: NodeJS.ProcessEnv = process.env): OdooSeries {
  const raw = env.ODOO_SERIES ?? '18';
  const series = SERIES.find((s) => String(s) === raw);
  if (!series) throw new Error(`ODOO_SERIES must be one of ${SERIES.join(', ')}, not ${raw}`);
  return series;
}

/** Where a series' source tree is: ODOO_SRC / ODOO19_SRC, else the default path. */
export function sourceDir(series: OdooSeries, env: NodeJS.ProcessEnv = process.env): { dir: string; variable: string } {
  return series === 19 ? { dir: env.ODOO19_SRC ?? '/opt/odoo19-src', variable: 'ODOO19_SRC' } : { dir: env.ODOO_SRC ?? '/opt/odoo-src', variable: 'ODOO_SRC' };
}

export interface OdooTarget {
  url: string;
  /** The major version of the server (from its version answer for an Odoo that is not ours). */
  series: OdooSeries;
  db: string;
  admin: Credentials;
  /** The integration service user (group logistics_bridge_group_service) and its API key. */
  service: Credentials;
  /** The Odoo source tree when this harness runs the server itself. */
  src?: string;
  /** Kills the server (SIGKILL, as a crash would) and starts it again; absent for an Odoo that is not ours. */
  crashAndRestart?: () => Promise<void>;
  stop(): Promise<void>;
}

export type OdooSource =
  | { kind: 'source'; src: string; series: OdooSeries }
  | { kind: 'url'; url: string; series: OdooSeries }
  | { kind: 'docker'; series: OdooSeries }
  | { kind: 'none'; why: string; series: OdooSeries };

/**
 * Where the odoo tier gets its Odoo of the given series from (a running one, a source tree,
 * testcontainers' `odoo:<series>` image), or why it cannot run.
 */
export async function locateOdoo(env: NodeJS.ProcessEnv = process.env, series: OdooSeries = seriesOf(env)): Promise<OdooSource> {
  if (env.ODOO_URL) return { kind: 'url', url: env.ODOO_URL, series };
  const { dir, variable } = sourceDir(series, env);
  if (existsSync(join(dir, 'odoo-bin'))) return { kind: 'source', src: dir, series };
  if (await dockerAvailable()) return { kind: 'docker', series };
  return {
    kind: 'none',
    series,
    why: `${env[variable] ? `${variable}=${env[variable]} has no odoo-bin` : `no Odoo ${series} source tree at ${dir}`}, no ODOO_URL and no Docker engine (set ${variable} or ODOO_URL)`,
  };
}

/** The series of an odoo-bin tree, from its odoo/release.py. */
export function seriesOfTree(src: string): OdooSeries {
  const m = /^version_info = \((\d+),/m.exec(readFileSync(join(src, 'odoo/release.py'), 'utf8'));
  const series = SERIES.find((s) => s === Number(m?.[1]));
  if (!series) throw new Error(`${src} is Odoo ${m?.[1] ?? '?'}, not one of ${SERIES.join(', ')}`);
  return series;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

async function withPg<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ ...PG, user: process.env.PGUSER ?? 'postgres', database: 'postgres' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Odoo refuses to run as the postgres superuser; make sure its own role exists. */
async function ensureRole(): Promise<void> {
  await withPg(async (c) => {
    const { rowCount } = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [DB_ROLE.user]);
    if (!rowCount) await c.query(`CREATE ROLE ${ident(DB_ROLE.user)} LOGIN CREATEDB PASSWORD '${DB_ROLE.password.replace(/'/g, "''")}'`);
  });
}

export async function dropDatabase(db: string): Promise<void> {
  await withPg((c) => c.query(`DROP DATABASE IF EXISTS ${ident(db)} WITH (FORCE)`));
}

export function writeConfig(src: string, dir: string, port: number): string {
  const addons = [join(src, 'odoo/addons'), join(src, 'addons'), ADDON_DIR].filter((p) => existsSync(p));
  const conf = join(dir, 'odoo.conf');
  writeFileSync(
    conf,
    [
      '[options]',
      `addons_path = ${addons.join(',')}`,
      `data_dir = ${join(dir, 'data')}`,
      `db_host = ${PG.host}`,
      `db_port = ${PG.port}`,
      `db_user = ${DB_ROLE.user}`,
      `db_password = ${DB_ROLE.password}`,
      'http_interface = 127.0.0.1',
      `http_port = ${port}`,
      `gevent_port = ${port + 1}`,
      'max_cron_threads = 0',
      'admin_passwd = admin',
      // 18 takes a module list ("all"); 19 reads the option as a boolean and warns about "all".
      `without_demo = ${seriesOfTree(src) === 19 ? 'True' : 'all'}`,
      '',
    ].join('\n'),
  );
  return conf;
}

export interface OdooBinResult {
  code: number;
  log: string;
}

/**
 * Runs `odoo-bin` to completion (install, upgrade, tests); the log comes back whole. `program` is the
 * Python entry point, run from the source tree (a launcher that takes odoo-bin's arguments may replace it).
 */
export async function odooBin(src: string, conf: string, args: string[], logFile: string, program = 'odoo-bin'): Promise<OdooBinResult> {
  const child = spawn(PYTHON, [program, '-c', conf, `--logfile=${logFile}`, ...args], { cwd: src, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number>((res) => child.on('exit', (c) => res(c ?? 1)));
  const log = (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '') + stderr;
  return { code, log };
}

/**
 * Exports the addon's translation template from `db` into `out` as the series does it: 18 has the
 * server option `--i18n-export`, 19 the `i18n export` command (both with the same content).
 */
export async function exportPot(src: string, conf: string, db: string, out: string, logFile: string): Promise<OdooBinResult> {
  if (seriesOfTree(src) === 18) return odooBin(src, conf, ['-d', db, `--i18n-export=${out}`, '--modules=logistics_bridge', '--stop-after-init'], logFile);
  const child = spawn(PYTHON, ['odoo-bin', 'i18n', 'export', '-c', conf, '-d', db, '-o', out, 'logistics_bridge'], { cwd: src, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const code = await new Promise<number>((res) => child.on('exit', (c) => res(c ?? 1)));
  writeFileSync(logFile, log);
  return { code, log };
}

/** The msgids of a .po/.pot text (multi-line ones joined), without the header's empty one. */
export function potMsgids(text: string): string[] {
  const ids = new Set<string>();
  for (const m of text.matchAll(/^msgid ((?:"(?:[^"\\]|\\.)*"\n?)+)/gm)) {
    const id = [...(m[1] ?? '').matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]).join('');
    if (id) ids.add(id);
  }
  return [...ids].sort();
}

/** Template databases are keyed by Odoo snapshot and module list, so a new source tree gets a new one. */
function templateName(src: string): string {
  const snapshot = existsSync(join(src, '.snapshot')) ? readFileSync(join(src, '.snapshot'), 'utf8') : src;
  return `lb_tpl_${createHash('sha1').update(snapshot + DEPENDENCIES.join(',')).digest('hex').slice(0, 10)}`;
}

async function templateReady(name: string): Promise<boolean> {
  return withPg(async (c) => {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) return false;
    const db = new Client({ ...PG, user: process.env.PGUSER ?? 'postgres', database: name });
    await db.connect();
    try {
      const r = await db.query("SELECT count(*)::int AS n FROM ir_module_module WHERE state = 'installed' AND name = ANY($1)", [DEPENDENCIES]);
      return r.rows[0].n === DEPENDENCIES.length;
    } catch {
      return false;
    } finally {
      await db.end();
    }
  });
}

/** Creates (once) the template with the addon's dependencies; later runs copy it. */
export async function ensureTemplate(src: string, dir: string, log: (line: string) => void): Promise<string> {
  await ensureRole();
  const name = templateName(src);
  // Test processes running side by side would drop each other's half-made template: one makes it, the
  // others wait on a PostgreSQL advisory lock (held by this connection) and then find it ready.
  return withPg(async (lock) => {
    await lock.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    if (await templateReady(name)) return name;
    await dropDatabase(name);
    log(`creating template database ${name} with ${DEPENDENCIES.join(', ')} (about a minute, once)`);
    const conf = writeConfig(src, dir, await freePort());
    const res = await odooBin(src, conf, ['-d', name, '-i', DEPENDENCIES.join(','), '--stop-after-init'], join(dir, 'template.log'));
    if (res.code !== 0) throw new Error(`template ${name} failed (exit ${res.code}):\n${res.log.slice(-3000)}`);
    return name;
  });
}

/** Copies the template into a new database; retried because a template may not have other sessions. */
export async function copyTemplate(template: string, db: string): Promise<void> {
  await dropDatabase(db);
  for (let attempt = 0; ; attempt++) {
    try {
      await withPg((c) => c.query(`CREATE DATABASE ${ident(db)} TEMPLATE ${ident(template)} OWNER ${ident(DB_ROLE.user)}`));
      return;
    } catch (err) {
      if (attempt >= 20 || !/being accessed by other users/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** The documented way to make the service user and its key (deploy/create_service_user.py), as an admin would. */
const SERVICE_USER_SCRIPT = resolve(__dirname, '../../deploy/create_service_user.py');

export async function createServiceUser(src: string, conf: string, db: string, login = 'logistics-bridge'): Promise<Credentials> {
  const script = readFileSync(SERVICE_USER_SCRIPT, 'utf8');
  const child = spawn(PYTHON, ['odoo-bin', 'shell', '-c', conf, '-d', db, '--no-http', '--log-level=warn'], {
    cwd: src,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, LB_SERVICE_LOGIN: login },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin.end(script);
  await new Promise((res) => child.on('exit', res));
  const line = out.split('\n').find((l) => l.startsWith('SERVICE_USER '));
  if (!line) throw new Error(`could not create the service user:\n${(out + err).slice(-2000)}`);
  const parsed = JSON.parse(line.slice('SERVICE_USER '.length)) as { login: string; key: string };
  return { login: parsed.login, secret: parsed.key };
}

async function waitForServer(url: string, child: ChildProcess, logFile: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Odoo exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    try {
      const res = await fetch(`${url}/web/webclient/version_info`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"jsonrpc":"2.0","method":"call","params":{}}',
      });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`Odoo did not answer on ${url} within ${timeoutMs} ms`);
}

export interface StartOptions {
  log?: (line: string) => void;
  /** Database name; defaults to one per process. */
  db?: string;
}

/**
 * A private Odoo with the addon installed and the service user created. `stop()` ends the server and
 * drops the database.
 */
export async function startOdoo(source: OdooSource, opts: StartOptions = {}): Promise<OdooTarget> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`[odoo tier] ${line}\n`));
  if (source.kind === 'none') throw new Error(source.why);
  if (source.kind === 'url') return existingOdoo(source.url, source.series);
  if (source.kind === 'docker') return (await import('./containers')).startOdooContainers(source.series);
  const { src, series } = source;
  const dir = mkdtempSync(join(tmpdir(), 'lb-odoo-'));
  const template = await ensureTemplate(src, dir, log);
  const db = opts.db ?? `lb_test_${process.pid}`;
  await copyTemplate(template, db);
  const port = await freePort();
  const conf = writeConfig(src, dir, port);
  const install = await odooBin(src, conf, ['-d', db, '-i', 'logistics_bridge', '--stop-after-init'], join(dir, 'install.log'));
  if (install.code !== 0 || /^\S+ \S+ \d+ (ERROR|CRITICAL) /m.test(install.log)) {
    await dropDatabase(db);
    throw new Error(`installing logistics_bridge failed (exit ${install.code}):\n${install.log.slice(-4000)}`);
  }
  const service = await createServiceUser(src, conf, db);
  const logFile = join(dir, 'server.log');
  const url = `http://127.0.0.1:${port}`;
  const serve = async (): Promise<ChildProcess> => {
    const server = spawn(PYTHON, ['odoo-bin', '-c', conf, '-d', db, `--db-filter=^${db}$`, `--logfile=${logFile}`], { cwd: src, stdio: 'ignore' });
    try {
      await waitForServer(url, server, logFile);
      return server;
    } catch (err) {
      server.kill('SIGKILL');
      throw err;
    }
  };
  const stopServer = async (server: ChildProcess, signal: NodeJS.Signals) => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((r) => server.once('exit', r));
    server.kill(signal);
    const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  let child: ChildProcess;
  try {
    child = await serve();
  } catch (err) {
    await dropDatabase(db);
    throw err;
  }
  log(`Odoo ${series} ${db} on ${url} (log ${logFile})`);
  return {
    url,
    series,
    db,
    src,
    admin: { login: 'admin', secret: 'admin' },
    service,
    async crashAndRestart() {
      await stopServer(child, 'SIGKILL');
      child = await serve();
    },
    async stop() {
      await stopServer(child, 'SIGTERM');
      await dropDatabase(db);
    },
  };
}

/** An Odoo somebody runs already (docker compose, staging): credentials come from the environment. */
function existingOdoo(url: string, series: OdooSeries): OdooTarget {
  const need = (name: string) => {
    const v = process.env[name];
    if (!v) throw new Error(`ODOO_URL is set, so ${name} must be set too`);
    return v;
  };
  return {
    url: url.replace(/\/+$/, ''),
    series,
    db: need('ODOO_DB'),
    admin: { login: process.env.ODOO_ADMIN_LOGIN ?? 'admin', secret: need('ODOO_ADMIN_PASSWORD') },
    service: { login: need('ODOO_LOGIN'), secret: need('ODOO_API_KEY') },
    async stop() {
      // not ours to stop
    },
  };
}

/** True when a Docker engine answers (testcontainers can then provide the services). */
export async function dockerAvailable(): Promise<boolean> {
  try {
    await exec('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}
