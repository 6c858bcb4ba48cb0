import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PG } from '../support/env';
import { copyTemplate, dropDatabase, ensureTemplate, freePort, odooBin, writeConfig } from '../support/odoo';
import { odooTarget } from './hooks';

/**
 * What docker-compose.yml's odoo-init runs against the database, on a real Odoo 18 and a database of its
 * own (admin's password changes here): the decision of deploy/addon_state.py over a database that does
 * not exist, has no addon, has it at the checkout's version; and the one `odoo shell` of
 * deploy/odoo-init.sh (set_admin_password.py + create_service_user.py with a key file), run again and
 * again, and after the key file was kept from another database.
 */
const DEPLOY = resolve(__dirname, '../../deploy');
const PYTHON = process.env.ODOO_PYTHON ?? '/usr/bin/python3';
const INIT = readFileSync(join(DEPLOY, 'odoo-init.sh'), 'utf8');

describe('odoo tier: odoo-init against a real database (deploy/)', function () {
  this.timeout(600_000);
  let src: string;
  let dir: string;
  let conf: string;
  let secrets: string;
  const db = `lb_init_${process.pid}`;
  const readerGid = 65534; // any group but the writer's: the sidecar's gid in the stack

  const state = (database: string): string => {
    const r = spawnSync(PYTHON, [join(DEPLOY, 'addon_state.py'), database, resolve(__dirname, '../../odoo_addon')], {
      encoding: 'utf8',
      // The odoo image's variables, which its entrypoint (and addon_state.py) read.
      env: { PATH: process.env.PATH, HOST: PG.host, PORT: String(PG.port), USER: process.env.ODOO_DB_USER ?? 'odoo', PASSWORD: process.env.ODOO_DB_PASSWORD ?? 'odoo', ODOO_VERSION: `${odooTarget().series}.0` },
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };

  /** deploy/odoo-init.sh's step 5 and 6: one shell over both scripts, the key handed over as a file. */
  const initShell = async (): Promise<string> => {
    assert.match(INIT, /cat "\$DEPLOY\/set_admin_password\.py" "\$DEPLOY\/create_service_user\.py" \|/);
    const script = readFileSync(join(DEPLOY, 'set_admin_password.py'), 'utf8') + readFileSync(join(DEPLOY, 'create_service_user.py'), 'utf8');
    const child = spawn(PYTHON, ['odoo-bin', 'shell', '-c', conf, '-d', db, '--no-http', '--log-level=warn'], {
      cwd: src,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ODOO_ADMIN_PASSWORD: 'admin-from-env', LB_SERVICE_LOGIN: 'logistics-bridge', LB_API_KEY_FILE: join(secrets, 'odoo_api_key'), LB_API_KEY_GID: String(readerGid), LB_DEPLOY_DIR: DEPLOY },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end(script);
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    assert.equal(code, 0, out.slice(-3000));
    return out;
  };
  const keyStatus = (out: string): string => {
    const line = out.split('\n').find((l) => l.startsWith('SERVICE_USER '));
    assert.ok(line, out.slice(-2000));
    return (JSON.parse(line.slice('SERVICE_USER '.length)) as { key: string }).key;
  };
  const key = (): string => readFileSync(join(secrets, 'odoo_api_key'), 'utf8');

  before(async () => {
    src = odooTarget().src ?? '';
    assert.ok(src, 'this suite runs Odoo from a source tree');
    dir = mkdtempSync(join(tmpdir(), 'lb-init-'));
    conf = writeConfig(src, dir, await freePort());
    secrets = join(dir, 'bridge');
    const prepared = spawnSync(PYTHON, [join(DEPLOY, 'bridge_secrets.py'), 'prepare-dir', secrets, 'root', String(readerGid)], { encoding: 'utf8' });
    assert.equal(prepared.status, 0, prepared.stderr);
  });

  after(async () => {
    await dropDatabase(db);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('decides create, then install, then nothing: no -i on a database that has the addon', async () => {
    await dropDatabase(db);
    assert.equal(state(db), 'create');
    await copyTemplate(await ensureTemplate(src, dir, () => undefined), db);
    assert.equal(state(db), 'install');
    const install = await odooBin(src, conf, ['-d', db, '-i', 'logistics_bridge', '--stop-after-init'], join(dir, 'install.log'));
    assert.equal(install.code, 0, install.log.slice(-3000));
    assert.equal(state(db), 'none');
  });

  it('hands over a working key, keeps it on the next start, and gives admin ODOO_ADMIN_PASSWORD once', async () => {
    const first = await initShell();
    assert.equal(keyStatus(first), 'generated');
    assert.match(first, /admin had the built-in password; it is now ODOO_ADMIN_PASSWORD/);
    const handed = key();
    const again = await initShell();
    assert.equal(keyStatus(again), 'kept');
    assert.equal(key(), handed, 'a working key was replaced');
    assert.doesNotMatch(again, /built-in password/);
  });

  it('replaces, loudly, a key kept in the secrets volume from another database', async () => {
    writeFileSync(join(secrets, 'odoo_api_key'), odooTarget().service.secret); // a real key, of the harness's database
    const out = await initShell();
    assert.equal(keyStatus(out), 'replaced');
    assert.match(out, new RegExp(`odoo_api_key held a key that database ${db} does not accept`));
    assert.notEqual(key(), odooTarget().service.secret);
    assert.equal(keyStatus(await initShell()), 'kept');
  });
});
