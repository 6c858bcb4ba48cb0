import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { loadConfig, loadOdooConfig } from '../../../sidecar/src/config';

const ROOT = resolve(__dirname, '../../..');
// The source, not sidecar/bin's choice of dist/ (which may be an older build).
const ENTRY = resolve(ROOT, 'sidecar/src/cli/index.ts');
/** Odoo on a port nobody listens on: the command fails on Odoo, after its configuration was accepted. */
const ODOO = { ODOO_URL: 'http://127.0.0.1:9', ODOO_DB: 'odoo', ODOO_LOGIN: 'logistics-bridge', ODOO_API_KEY: 'k' };
const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--require', 'tsx/cjs', ENTRY, ...args], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 60_000 });

describe('operator CLI as a program (unit: nothing listens where it connects)', function () {
  this.timeout(120_000);

  it('without a command (or with an unknown one) prints the usage and exits 2', () => {
    for (const args of [[], ['stats']]) {
      const r = cli(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^usage: logistics-bridge <command>$/m);
      assert.match(r.stderr, /^ {2}dead list /m);
    }
    assert.equal(cli(['help']).status, 0);
  });

  it('status needs only what it reads: without AMQP_URL it goes to Odoo (and says Odoo is unreachable)', () => {
    const r = cli(['status'], ODOO);
    assert.doesNotMatch(r.stderr, /AMQP_URL/);
    assert.match(r.stderr, /Odoo is unreachable at http:\/\/127\.0\.0\.1:9/);
    assert.equal(r.status, 1);
    assert.match(cli(['status'], { ODOO_DB: 'odoo' }).stderr, /ODOO_URL: missing/);
  });

  it('dead needs the broker, and says so naming the variable', () => {
    const r = cli(['dead', 'list'], ODOO);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /AMQP_URL: missing/);
  });

  it('doctor reports every broken variable on its own line, and still checks Odoo with what is usable', () => {
    const r = cli(['doctor'], { ...ODOO, APPLY_BATCH_SIZE: 'many' });
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^FAIL configuration +AMQP_URL: missing/m);
    assert.match(r.stdout, /^FAIL configuration +APPLY_BATCH_SIZE: invalid/m);
    assert.match(r.stdout, /^FAIL odoo +Odoo is unreachable at http:\/\/127\.0\.0\.1:9/m);
    assert.match(r.stdout, /^ +fix: check ODOO_URL/m);
    assert.match(r.stdout, /^FAIL rabbitmq_topology +not checked: the RabbitMQ configuration/m);
    assert.match(r.stdout, /^ok {3}gateway_tls +not configured/m);
  });
});

describe('configuration of a command that reads Odoo only (unit)', () => {
  it('loads ODOO_* without AMQP_URL, while the sidecar still needs it', () => {
    assert.equal(loadOdooConfig(ODOO).odoo.db, 'odoo');
    assert.throws(() => loadConfig(ODOO), /AMQP_URL: missing/);
    assert.throws(() => loadOdooConfig({ ...ODOO, ODOO_API_KEY: '' }), /ODOO_API_KEY: missing/);
    // AMQP_URL_FILE is not even read.
    assert.equal(loadOdooConfig({ ...ODOO, AMQP_URL_FILE: '/nonexistent' }, () => { throw new Error('read'); }).odoo.login, 'logistics-bridge');
  });
});
