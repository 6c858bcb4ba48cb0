import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { skipLoudly } from '../support/skip';

/**
 * The API-key handoff of docker-compose.yml, re-enacted on this machine without Docker: odoo-init's Odoo
 * runs as the odoo image's `odoo` (a system uid), the sidecar as the node image's `node` (uid/gid 1000).
 * Here two throw-away system users play them: the writer runs deploy/bridge_secrets.py (the functions
 * odoo-init and create_service_user.py write with), the reader runs the sidecar's real config loader
 * (`*_FILE` variables) in a child process with its own uid and gid, as the sidecar does at start-up.
 */
const ROOT = resolve(__dirname, '../..');
const DEPLOY = join(ROOT, 'deploy');
const PYTHON = '/usr/bin/python3'; // the system one: readable and runnable by every uid
const KEY = 'k3y-0f-the-service-user';

interface User {
  name: string;
  uid: number;
  gid: number;
}

function run(cmd: string, args: string[], opts: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  // With uid/gid set, libuv also drops the supplementary groups: the child has exactly this identity.
  return spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', uid: opts.uid, gid: opts.gid, env: opts.env ?? { PATH: process.env.PATH } });
}

function makeUser(role: string): User {
  const name = `lbt-${role}-${randomBytes(3).toString('hex')}`;
  const made = run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  assert.equal(made.status, 0, made.stderr);
  const id = (flag: string) => Number(run('id', [flag, name]).stdout.trim());
  return { name, uid: id('-u'), gid: id('-g') };
}

/** The sidecar's start-up, as `user`: its config loader with the key and the tokens from files. */
function sidecarLoads(user: User, keyFile: string, tokensFile?: string): { ok: boolean; secret?: string; adapters?: string[]; error: string } {
  const env = {
    PATH: process.env.PATH,
    ODOO_URL: 'http://odoo:8069',
    ODOO_DB: 'odoo',
    ODOO_LOGIN: 'logistics-bridge',
    ODOO_API_KEY_FILE: keyFile,
    AMQP_URL: 'amqp://rabbitmq:5672',
    ...(tokensFile ? { GATEWAY_TOKENS_FILE: tokensFile } : {}),
  };
  const script = `const { loadConfigOrReport } = require('./sidecar/src/config');
    const c = loadConfigOrReport(process.env, process.stderr);
    if (!c) process.exit(2);
    process.stdout.write(JSON.stringify({ secret: c.odoo.secret, adapters: Object.keys(c.gateway.tokens) }));`;
  const r = run(process.execPath, ['--import', 'tsx', '-e', script], { uid: user.uid, gid: user.gid, env });
  if (r.status !== 0) return { ok: false, error: r.stderr.trim() };
  return { ok: true, ...(JSON.parse(r.stdout) as { secret: string; adapters: string[] }), error: '' };
}

function python(user: User | undefined, code: string): SpawnSyncReturns<string> {
  return run(PYTHON, ['-c', `import sys; sys.path.insert(0, ${JSON.stringify(DEPLOY)}); import bridge_secrets\n${code}`], user ? { uid: user.uid, gid: user.gid } : {});
}

describe('integration: the API-key handoff from odoo-init to the sidecar, as two different users', function () {
  this.timeout(60_000);
  let writer: User;
  let sidecar: User;
  let stranger: User;
  let base: string;

  before(function () {
    if (process.getuid?.() !== 0 || !existsSync('/usr/sbin/useradd') || !existsSync(PYTHON)) {
      skipLoudly(this, 'secrets handoff re-enactment: needs root, useradd and /usr/bin/python3');
    }
    writer = makeUser('odoo');
    sidecar = makeUser('node');
    stranger = makeUser('other');
    base = mkdtempSync(join(tmpdir(), 'lb-handoff-'));
    chmodSync(base, 0o755); // mkdtemp's 0700 would hide everything below from the other users
  });

  after(() => {
    for (const u of [writer, sidecar, stranger]) if (u) run('userdel', [u.name]);
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('the key odoo-init writes is readable by the sidecar, by construction, and by no other user', () => {
    const dir = join(base, 'bridge');
    const prepared = python(undefined, `bridge_secrets.prepare_dir(${JSON.stringify(dir)}, ${JSON.stringify(writer.name)}, ${sidecar.gid})`);
    assert.equal(prepared.status, 0, prepared.stderr);
    const keyFile = join(dir, 'odoo_api_key');
    const wrote = python(writer, `bridge_secrets.write_secret(${JSON.stringify(keyFile)}, ${JSON.stringify(KEY)}, ${sidecar.gid})`);
    assert.equal(wrote.status, 0, wrote.stderr);
    // The demo gateway tokens take the same way, through the CLI odoo-init runs.
    const tokensFile = join(dir, 'gateway-tokens.json');
    const tokens = run(PYTHON, [join(DEPLOY, 'bridge_secrets.py'), 'gateway-tokens', join(DEPLOY, 'gateway-tokens.example.json'), tokensFile, String(sidecar.gid)], { uid: writer.uid, gid: writer.gid });
    assert.equal(tokens.status, 0, tokens.stderr);

    const st = statSync(keyFile);
    assert.deepEqual({ uid: st.uid, gid: st.gid, mode: (st.mode & 0o7777).toString(8) }, { uid: writer.uid, gid: sidecar.gid, mode: '440' });

    const loaded = sidecarLoads(sidecar, keyFile, tokensFile);
    assert.ok(loaded.ok, loaded.error);
    assert.equal(loaded.secret, KEY);
    assert.deepEqual(loaded.adapters?.sort(), ['demo-barcode', 'demo-robots', 'demo-sorter']);
    const example = readFileSync(join(DEPLOY, 'gateway-tokens.example.json'), 'utf8');
    for (const t of Object.values(JSON.parse(readFileSync(tokensFile, 'utf8')) as Record<string, { token: string }>)) {
      assert.ok(!example.includes(t.token), 'a generated token is one of the example file');
    }

    const other = sidecarLoads(stranger, keyFile);
    assert.equal(other.ok, false);
    assert.match(other.error, /ODOO_API_KEY_FILE: cannot read .* \(EACCES\)/);
  });

  it('the writer can read the key back (odoo-init keeps a key the database still accepts)', () => {
    const read = python(writer, `print(bridge_secrets.read_secret(${JSON.stringify(join(base, 'bridge', 'odoo_api_key'))}))`);
    assert.equal(read.status, 0, read.stderr);
    assert.equal(read.stdout.trim(), KEY);
  });

  it('the old handoff (a 0600 file of the writer in its own directory) leaves the sidecar with EACCES', () => {
    // What docker-compose.yml did before: `chown odoo /run/bridge`, then create_service_user.py's
    // os.open(key_file, O_WRONLY | O_CREAT | O_TRUNC, 0o600) as odoo.
    const dir = join(base, 'old');
    assert.equal(run('install', ['-d', '-o', writer.name, '-m', '0755', dir]).status, 0);
    const keyFile = join(dir, 'odoo_api_key');
    const wrote = run(PYTHON, ['-c', `import os\nfd = os.open(${JSON.stringify(keyFile)}, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)\nos.write(fd, b${JSON.stringify(KEY)})`], { uid: writer.uid, gid: writer.gid });
    assert.equal(wrote.status, 0, wrote.stderr);
    const loaded = sidecarLoads(sidecar, keyFile);
    assert.equal(loaded.ok, false);
    assert.equal(loaded.error, `logistics-bridge: configuration error: ODOO_API_KEY_FILE: cannot read ${keyFile} (EACCES)`);
  });

  it('a directory not set up for the sidecar makes the writer fail loudly, leaving no file behind', () => {
    const dir = join(base, 'unprepared');
    assert.equal(run('install', ['-d', '-o', writer.name, '-m', '0755', dir]).status, 0);
    const keyFile = join(dir, 'odoo_api_key');
    const wrote = python(writer, `bridge_secrets.write_secret(${JSON.stringify(keyFile)}, ${JSON.stringify(KEY)}, ${sidecar.gid})`);
    assert.notEqual(wrote.status, 0);
    assert.match(wrote.stderr, new RegExp(`SecretFileError: .*new files get group ${writer.gid}, the reader needs group ${sidecar.gid}`));
    assert.equal(existsSync(keyFile), false);
    assert.equal(run('ls', ['-A', dir]).stdout, '');
  });
});
