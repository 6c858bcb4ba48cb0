import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@logistics-bridge/adapter-sdk';
import { odooTarget } from '../odoo/hooks';
import { AMQP_URL } from '../support/env';
import { freePort } from '../support/odoo';
import { pollJson, startSidecar, type SidecarProcess } from '../support/sidecar';

/**
 * No secret reaches a log: the real sidecar, given its Odoo API key, its gateway tokens and a broker
 * password through *_FILE variables (and, in the failure runs, through plain variables and inside the
 * broker URL), at debug level, while it serves traffic and meets the failures that tempt a log line to
 * quote its input: an adapter presenting a wrong token, Odoo refusing the API key, a broker that cannot
 * be reached. Every byte the process writes (stdout and stderr) is searched for every secret.
 */
const ADAPTER = 'sweep-scanner';

describe('faults: no secret appears in the sidecar\'s logs', function () {
  this.timeout(300_000);
  const secret = (what: string) => `${what}-${randomBytes(12).toString('hex')}`;
  const brokerUser = `lb-sweep-${process.pid}`;
  const brokerPassword = secret('brokerpw');
  const gatewayToken = secret('gwtoken');
  const wrongToken = secret('wrongtoken');
  const wrongApiKey = secret('wrongkey');
  let apiKey = '';
  let dir = '';
  let broker: { vhost: string; host: string; port: string; cleanup: () => Promise<void> };
  const runs: SidecarProcess[] = [];

  before(async () => {
    apiKey = odooTarget().service.secret;
    dir = mkdtempSync(join(tmpdir(), 'lb-sweep-'));
    broker = await brokerUserWith(brokerUser, brokerPassword);
  });

  after(async () => {
    for (const p of runs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await broker?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  function file(name: string, content: string): string {
    const path = join(dir, name);
    writeFileSync(path, `${content}\n`, { mode: 0o600 });
    return path;
  }

  async function run(name: string, env: Record<string, string>): Promise<{ proc: SidecarProcess; httpPort: number; grpcAddress: string }> {
    const t = odooTarget();
    const httpPort = await freePort();
    const grpcAddress = `127.0.0.1:${await freePort()}`;
    const proc = startSidecar({ ODOO_URL: t.url, ODOO_DB: t.db, ODOO_LOGIN: t.service.login, HTTP_LISTEN: `127.0.0.1:${httpPort}`, GRPC_LISTEN: grpcAddress, RELAY_WORKER_ID: `sweep-${name}-${process.pid}`, LOG_LEVEL: 'debug', ...env });
    runs.push(proc);
    return { proc, httpPort, grpcAddress };
  }

  /** Stops the run (SIGTERM: its shutdown lines too), then searches all it wrote for every secret. */
  async function stopAndSweep(name: string, proc: SidecarProcess): Promise<void> {
    if (proc.child.exitCode === null) proc.child.kill('SIGTERM');
    await proc.exited;
    const secrets = { 'Odoo API key': apiKey, 'refused API key': wrongApiKey, 'gateway token': gatewayToken, 'wrong adapter token': wrongToken, 'broker password': brokerPassword };
    const out = proc.output();
    const leaks: string[] = [];
    for (const [what, value] of Object.entries(secrets)) {
      const at = out.indexOf(value);
      if (at >= 0) leaks.push(`the ${what} in: ${out.slice(out.lastIndexOf('\n', at) + 1, out.indexOf('\n', at) + 1 || undefined).slice(0, 400)}`);
    }
    assert.deepEqual(leaks, [], `${name} logged a secret`);
    process.stdout.write(`      ${name}: ${out.split('\n').length} log lines searched for ${Object.keys(secrets).length} secrets\n`);
  }

  /** Waits (bounded) until the process has logged a warning or an error: the failure was met, and logged. */
  async function loggedFailure(proc: SidecarProcess, what: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!/"level":"(warn|error)"/.test(proc.output())) {
      assert.ok(Date.now() < deadline, `no warning or error logged for ${what}:\n${proc.output().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const brokerBase = () => `amqp://${broker.host}:${broker.port}/${encodeURIComponent(broker.vhost)}`;
  const fileEnv = () => ({
    ODOO_API_KEY_FILE: file('odoo-key', apiKey),
    GATEWAY_TOKENS_FILE: file('tokens.json', JSON.stringify({ [ADAPTER]: { token: gatewayToken, family: 'barcode', devices: ['sweep-*'], ratePerSecond: 1000 } })),
    AMQP_URL: brokerBase(),
    AMQP_USER: brokerUser,
    AMQP_PASSWORD_FILE: file('amqp-password', brokerPassword),
  });

  it('serves traffic and refuses a wrong adapter token without logging a secret (all secrets from *_FILE)', async () => {
    const { proc, httpPort, grpcAddress } = await run('traffic', fileEnv());
    const ready = await pollJson(`http://127.0.0.1:${httpPort}/readyz`, (s) => s === 200, 60_000);
    assert.equal(ready.status, 200, `not ready: ${JSON.stringify(ready.body)}\n${proc.output().slice(-2000)}`);
    const good = await connect({ address: grpcAddress, token: gatewayToken, family: 'barcode', adapterId: ADAPTER });
    const key = `sweep:${process.pid}:status`;
    await good.sendUpdate('sweep-1', 'device.status', { status: 'online', family: 'barcode' }, { idempotencyKey: key });
    await good.sendUpdate('other-device', 'device.status', { status: 'online' }, { idempotencyKey: `${key}:denied` }); // outside the allowlist
    await good.flush(60_000); // durable in RabbitMQ; the applier takes it on to Odoo with the API key
    await good.close();
    await assert.rejects(connect({ address: grpcAddress, token: wrongToken, family: 'barcode', adapterId: ADAPTER }), /UNAUTHENTICATED/);
    await assert.rejects(connect({ address: grpcAddress, token: gatewayToken, family: 'sorter', adapterId: ADAPTER }), /PERMISSION_DENIED/);
    // The gateway answers refused tokens with a status, not a log line; the metrics page is read too.
    await fetch(`http://127.0.0.1:${httpPort}/metrics`);
    await stopAndSweep('traffic', proc);
  });

  it('Odoo refusing the API key (given in ODOO_API_KEY): the refusal is logged, the key is not', async () => {
    const env = { ...fileEnv(), ODOO_API_KEY: wrongApiKey };
    delete (env as Partial<typeof env>).ODOO_API_KEY_FILE;
    const { proc, httpPort } = await run('odoo-refuses', env);
    const r = await pollJson(`http://127.0.0.1:${httpPort}/readyz`, (s) => s === 503, 60_000);
    assert.equal(r.status, 503, `a refused key must make the sidecar not ready\n${proc.output().slice(-2000)}`);
    await loggedFailure(proc, 'the refused API key');
    await stopAndSweep('odoo-refuses', proc);
  });

  it('a broker that cannot be reached, with the password in AMQP_URL: the failure is logged, the password is not', async () => {
    const closed = await freePort();
    const env = { ...fileEnv(), AMQP_URL: `amqp://${brokerUser}:${brokerPassword}@127.0.0.1:${closed}/${encodeURIComponent(broker.vhost)}` };
    delete (env as Partial<typeof env>).AMQP_USER;
    delete (env as Partial<typeof env>).AMQP_PASSWORD_FILE;
    const { proc } = await run('broker-down', env);
    await loggedFailure(proc, 'the unreachable broker');
    await new Promise((r) => setTimeout(r, 3_000)); // a few reconnect attempts
    await stopAndSweep('broker-down', proc);
  });
});

/**
 * A broker user of our own with `password` on the vhost of AMQP_URL (a distinctive password, unlike
 * guest's): through the management API where the broker has one (port + 10000, RabbitMQ 4 here), else
 * with the local node's rabbitmqctl (the machine's RabbitMQ 3.10).
 */
async function brokerUserWith(user: string, password: string): Promise<{ vhost: string; host: string; port: string; cleanup: () => Promise<void> }> {
  const url = new URL(AMQP_URL);
  const vhost = decodeURIComponent(url.pathname.slice(1)) || '/';
  const port = url.port || '5672';
  const api = `http://${url.hostname}:${Number(port) + 10000}/api`;
  const auth = { authorization: `Basic ${Buffer.from(`${decodeURIComponent(url.username || 'guest')}:${decodeURIComponent(url.password || 'guest')}`).toString('base64')}`, 'content-type': 'application/json' };
  const hasApi = await fetch(`${api}/overview`, { headers: auth }).then((r) => r.ok, () => false);
  if (hasApi) {
    await fetch(`${api}/users/${user}`, { method: 'PUT', headers: auth, body: JSON.stringify({ password, tags: '' }) });
    await fetch(`${api}/permissions/${encodeURIComponent(vhost)}/${user}`, { method: 'PUT', headers: auth, body: JSON.stringify({ configure: '.*', write: '.*', read: '.*' }) });
    return { vhost, host: url.hostname, port, cleanup: async () => void (await fetch(`${api}/users/${user}`, { method: 'DELETE', headers: auth })) };
  }
  execFileSync('rabbitmqctl', ['-q', 'add_user', user, password]);
  execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, user, '.*', '.*', '.*']);
  return { vhost, host: url.hostname, port, cleanup: async () => void execFileSync('rabbitmqctl', ['-q', 'delete_user', user]) };
}

