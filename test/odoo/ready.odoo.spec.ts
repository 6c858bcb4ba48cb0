import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OdooFixtures } from '../../tools/fixtures';
import { copyTemplate, dropDatabase, ensureTemplate, freePort } from '../support/odoo';
import { pgFor } from '../support/outbox-sql';
import { pollJson, sidecarEnv, startSidecar } from '../support/sidecar';
import { odooTarget } from './hooks';

interface Check {
  ok: boolean;
  detail?: string;
  error?: string;
  fix?: string;
}
type Report = { ready: boolean; checks: Record<string, Check> };

/** Starts a real sidecar with `env`, polls /readyz until `accept`, returns the last answer and stops it. */
async function readyz(env: Record<string, string>, accept: (status: number, body: Report) => boolean): Promise<{ status: number; body: Report; output: string }> {
  const httpPort = await freePort();
  const proc = startSidecar({ ...env, HTTP_LISTEN: `127.0.0.1:${httpPort}`, GRPC_LISTEN: `127.0.0.1:${await freePort()}`, LOG_LEVEL: 'warn' });
  try {
    let last = { status: 0, body: { ready: false, checks: {} } as Report };
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const got = await pollJson(`http://127.0.0.1:${httpPort}/readyz`, () => true, 10_000);
      last = { status: got.status, body: (got.body ?? { ready: false, checks: {} }) as Report };
      if (got.status && accept(last.status, last.body)) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    return { ...last, output: proc.output() };
  } finally {
    proc.child.kill('SIGTERM');
    await proc.exited;
  }
}

/** 503 with `name` failing for a reason of its own (not a slow first login, not an earlier check failing). */
const failed = (name: string) => (status: number, body: Report) => status === 503 && body.checks[name]?.ok === false && !/^(no answer within|not checked:)/.test(body.checks[name]?.error ?? '');

function cli(env: Record<string, string>, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [resolve(__dirname, '../../sidecar/bin/logistics-bridge.cjs'), ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    p.once('exit', (code) => res({ code, out, err }));
  });
}

/**
 * Readiness means "the bridge can flow", checked against a real Odoo 18: each way a deployment is
 * commonly wrong gives 503 naming the failing check, the cause and its fix, and the CLI says the same.
 */
describe('odoo tier: sidecar readiness with a real Odoo and RabbitMQ', function () {
  this.timeout(600_000);

  it('answers /readyz 200 when the service user reaches the addon and RabbitMQ has the topology', async () => {
    const t = odooTarget();
    const { status, body } = await readyz(sidecarEnv(t, {}), (s) => s === 200);
    assert.equal(status, 200, JSON.stringify(body));
    assert.match(body.checks.logistics_bridge?.detail ?? '', new RegExp(`^logistics_bridge ${t.series}\\.0\\.`));
    assert.deepEqual(Object.keys(body.checks), ['odoo', 'odoo_login', 'logistics_bridge', 'api_key', 'rabbitmq', 'relay']);
  });

  it('names a wrong API key, with the login and the fix; the CLI gives the same hint', async () => {
    const t = odooTarget();
    const env = sidecarEnv(t, { ODOO_API_KEY: 'not-the-key' });
    const { status, body } = await readyz(env, failed('odoo_login'));
    assert.equal(status, 503);
    const expected = `the API key was refused for login "${t.service.login}" on database "${t.db}"`;
    assert.equal(body.checks.odoo_login?.error, expected, JSON.stringify(body));
    assert.match(body.checks.odoo_login?.fix ?? '', /ODOO_API_KEY/);
    assert.deepEqual(body.checks.logistics_bridge, { ok: false, error: 'not checked: odoo_login failed' });
    const status2 = await cli(env, ['status']);
    assert.equal(status2.code, 1);
    assert.ok(status2.err.includes(expected), status2.err);
    assert.match(status2.err, /fix: .*ODOO_API_KEY/);
  });

  it('names a database that does not exist', async () => {
    const t = odooTarget();
    const db = `lb_no_such_db_${process.pid}`;
    const env = sidecarEnv(t, { ODOO_DB: db });
    const { body } = await readyz(env, failed('odoo_login'));
    assert.equal(body.checks.odoo_login?.error, `database "${db}" does not exist on ${t.url}`, JSON.stringify(body));
    const status = await cli(env, ['status']);
    assert.ok(status.err.includes(`database "${db}" does not exist`), status.err);
  });

  it('says logistics_bridge is not installed in a database without it (the harness template), and how to install it', async function () {
    const t = odooTarget();
    if (!t.src) this.skip();
    const template = await ensureTemplate(t.src as string, mkdtempSync(join(tmpdir(), 'lb-ready-')), () => undefined);
    const db = `lb_noaddon_${process.pid}`;
    await copyTemplate(template, db);
    try {
      const env = sidecarEnv(t, { ODOO_DB: db, ODOO_LOGIN: t.admin.login, ODOO_PASSWORD: t.admin.secret, ODOO_PROTOCOL: 'jsonrpc' }); // a password: JSON-RPC (19's JSON-2 takes keys only)
      delete env.ODOO_API_KEY;
      const { body } = await readyz(env, failed('logistics_bridge'));
      assert.equal(body.checks.odoo_login?.ok, true, JSON.stringify(body));
      assert.match(body.checks.logistics_bridge?.error ?? '', new RegExp(`^logistics_bridge is not installed in database "${db}"`), JSON.stringify(body));
      assert.match(body.checks.logistics_bridge?.fix ?? '', /-i logistics_bridge/);
      const status = await cli(env, ['status']);
      assert.ok(status.err.includes(`logistics_bridge is not installed in database "${db}"`), status.err);
    } finally {
      await dropDatabase(db);
    }
  });

  it('says the service user lacks the Integration service group', async () => {
    const t = odooTarget();
    const fx = await OdooFixtures.connect({ url: t.url, db: t.db, login: t.admin.login, password: t.admin.secret });
    const login = `lb-no-group-${process.pid}`;
    await fx.call('res.users', 'create', [{ name: 'No bridge group', login, password: 'no-group-pw-1' }]);
    const env = sidecarEnv(t, { ODOO_LOGIN: login, ODOO_PASSWORD: 'no-group-pw-1', ODOO_PROTOCOL: 'jsonrpc' }); // a password: JSON-RPC
    delete env.ODOO_API_KEY;
    const { body } = await readyz(env, failed('logistics_bridge'));
    assert.equal(body.checks.logistics_bridge?.error?.startsWith(`the service user "${login}" lacks the Integration service group`), true, JSON.stringify(body));
    assert.match(body.checks.logistics_bridge?.fix ?? '', /Integration service/);
  });

  it('warns on /readyz ahead of the API key expiry (still ready), from ODOO_KEY_WARN_DAYS before it', async () => {
    const t = odooTarget();
    const pg = await pgFor(t.db);
    const expire = (sql: string) => pg.query(`UPDATE res_users_apikeys SET expiration_date = ${sql} WHERE index = $1`, [t.service.secret.slice(0, 8)]);
    const httpPort = await freePort();
    const proc = startSidecar(sidecarEnv(t, { HTTP_LISTEN: `127.0.0.1:${httpPort}`, GRPC_LISTEN: `127.0.0.1:${await freePort()}`, ODOO_KEY_WARN_DAYS: '10' }));
    try {
      await expire("(now() AT TIME ZONE 'UTC') + interval '3 days'");
      const soon = await pollJson(`http://127.0.0.1:${httpPort}/readyz`, (s, b) => s === 200 && JSON.stringify(b).includes('warning'));
      assert.equal(soon.status, 200, JSON.stringify(soon.body));
      assert.match(JSON.stringify(soon.body), /API key expires at .* \(in 3 days\): create a second key/);
      await expire("(now() AT TIME ZONE 'UTC') + interval '30 days'");
      const later = await pollJson(`http://127.0.0.1:${httpPort}/readyz`, (s, b) => s === 200 && !JSON.stringify(b).includes('warning'));
      assert.equal(later.status, 200, JSON.stringify(later.body));
    } finally {
      await expire('NULL');
      await pg.end();
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  });
});
