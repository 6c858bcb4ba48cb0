import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import amqp, { type ChannelModel } from 'amqplib';
import { declareQueue, updatesQueue } from '../../sidecar/src/broker';
import { createLogger } from '../../sidecar/src/telemetry';
import { OdooFixtures } from '../../tools/fixtures';
import { odooTarget, oncePerBroker } from '../odoo/hooks';
import { AMQP_URL } from '../support/env';
import { freePort } from '../support/odoo';
import { pollJson, sidecarEnv, startSidecar, type SidecarProcess } from '../support/sidecar';

/**
 * The adapter SDK's durable mode under the fault it exists for: updates buffered while the gateway is
 * down survive a SIGKILL of the adapter process, and after the restart they reach Odoo's inbox through
 * the real chain (SDK → the sidecar's gateway → RabbitMQ → its applier → Odoo), each exactly once, also
 * when the adapter is killed again mid-drain (what the gateway had made durable is sent again under the
 * same idempotency key, and Odoo answers it duplicate).
 */
const COUNT = 10_000;
const ADAPTER = 'journal-sorter';
const TOKEN = 'journal-token-0123456789abcdef';
const CHILD = resolve(__dirname, '../support/journal-adapter.ts');

interface AdapterProcess {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  exited: Promise<unknown>;
  output: () => string;
}

describe('faults: the adapter SDK edge journal survives SIGKILLs of the adapter', function () {
  this.timeout(1_800_000);
  let fx: OdooFixtures;
  let conn: ChannelModel;
  let sidecar: SidecarProcess | undefined;
  let grpcAddress = '';
  let httpPort = 0;
  const adapters: AdapterProcess[] = [];
  const dirs: string[] = [];

  before(async function () {
    await oncePerBroker(this, 'edge-journal fault cases');
  });

  before(async () => {
    const t = odooTarget();
    fx = await OdooFixtures.connect({ url: t.url, db: t.db, login: t.admin.login, password: t.admin.secret });
    conn = await amqp.connect(AMQP_URL);
    await declareQueue(conn, updatesQueue(), createLogger('error'));
    const ch = await conn.createChannel();
    await ch.purgeQueue(updatesQueue().name); // what an earlier run left is not this run's
    await ch.close();
  });

  beforeEach(async () => {
    grpcAddress = `127.0.0.1:${await freePort()}`;
    httpPort = await freePort();
  });

  afterEach(async () => {
    for (const a of adapters.splice(0)) {
      if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
      await a.exited;
    }
    if (sidecar && sidecar.child.exitCode === null) {
      sidecar.child.kill('SIGTERM');
      await sidecar.exited;
    }
    sidecar = undefined;
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  after(async () => {
    await conn?.close().catch(() => undefined);
  });

  function startAdapter(env: Record<string, string>): AdapterProcess {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', CHILD], {
      cwd: resolve(__dirname, '../..'),
      env: { PATH: process.env.PATH ?? '', GRPC_ADDRESS: grpcAddress, ADAPTER_ID: ADAPTER, ADAPTER_TOKEN: TOKEN, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Array<Record<string, unknown>> = [];
    let out = '';
    let partial = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      partial += d.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const p of parts) lines.push(JSON.parse(p) as Record<string, unknown>);
    });
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((res) => child.once('exit', res));
    const a = { child, lines, exited, output: () => out.slice(-3000) };
    adapters.push(a);
    return a;
  }

  /** Waits for a line; the child prints a line per change of its ack count, so it fails on a stall, not on a slow drain. */
  async function line(a: AdapterProcess, pred: (l: Record<string, unknown>) => boolean, what: string, timeoutMs = 300_000): Promise<Record<string, unknown>> {
    let deadline = Date.now() + timeoutMs;
    for (let seen = a.lines.length; ; ) {
      if (a.lines.length > seen) {
        seen = a.lines.length;
        deadline = Date.now() + timeoutMs;
      }
      const found = a.lines.find(pred);
      if (found) return found;
      const error = a.lines.find((l) => l.error);
      if (error || a.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`adapter: no ${what} (${error ? String(error.error) : 'timed out'})\n${a.output()}\n${sidecar?.output().slice(-2000) ?? ''}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function kill(a: AdapterProcess): Promise<void> {
    a.child.kill('SIGKILL');
    await a.exited;
  }

  async function startBridge(): Promise<void> {
    const t = odooTarget();
    sidecar = startSidecar(sidecarEnv(t, {
      HTTP_LISTEN: `127.0.0.1:${httpPort}`,
      GRPC_LISTEN: grpcAddress,
      RELAY_WORKER_ID: `journal-${process.pid}`,
      GATEWAY_TOKENS: JSON.stringify({ [ADAPTER]: { token: TOKEN, family: 'sorter', devices: ['journal-dev-*'], ratePerSecond: 100_000 } }),
      LOG_LEVEL: 'warn',
    }));
    const ready = await pollJson(`http://127.0.0.1:${httpPort}/readyz`, (s) => s === 200, 60_000);
    assert.equal(ready.status, 200, `sidecar not ready: ${JSON.stringify(ready.body)}\n${sidecar.output()}`);
  }

  async function metric(name: string, labels: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const l = text.split('\n').find((x) => x.startsWith(`${name}{${labels}}`));
    return l ? Number(l.split(' ').pop()) : 0;
  }

  /** Waits until Odoo's inbox holds `COUNT` rows with the prefix, then checks each key is there once, applied. */
  async function arrivedOnce(prefix: string): Promise<void> {
    const domain = [['idempotency_key', '=like', `${prefix}:%`]];
    // The applier's pace depends on the machine's load: fail on a stall, not on a slow but moving drain.
    let n = 0;
    let progressAt = Date.now();
    for (let last = -1; (n = Number(await fx.call('logistics.bridge.update', 'search_count', [domain]))) < COUNT; last = n) {
      if (n > last) progressAt = Date.now();
      if (Date.now() - progressAt > 120_000) throw new Error(`${n} of ${COUNT} updates in Odoo's inbox, none more for 2 minutes\n${sidecar?.output().slice(-2000) ?? ''}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const rows = await fx.searchRead<{ idempotency_key: string; state: string }>('logistics.bridge.update', domain, ['idempotency_key', 'state']);
    const keys = new Set(rows.map((r) => r.idempotency_key));
    assert.equal(rows.length, COUNT, 'one inbox row per update');
    assert.equal(keys.size, COUNT, 'no key twice');
    for (let i = 0; i < COUNT; i++) assert.ok(keys.has(`${prefix}:${i}`), `${prefix}:${i} missing`);
    assert.deepEqual([...new Set(rows.map((r) => r.state))], ['applied']);
  }

  it('10,000 updates buffered while the gateway is down, the adapter SIGKILLed and restarted: all arrive, once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lb-edge-journal-'));
    dirs.push(dir);
    const prefix = `journal-a-${process.pid}`;
    const env = { JOURNAL_DIR: dir, STREAM_ID: prefix, KEY_PREFIX: prefix };
    const t0 = Date.now();
    const first = startAdapter({ ...env, COUNT: String(COUNT) });
    const buffered = await line(first, (l) => l.buffered === COUNT, 'buffered');
    process.stdout.write(`      ${COUNT} updates fsync'd into the journal in ${((Date.now() - t0) / 1000).toFixed(1)} s (process start included), ${buffered.journalBytes} bytes\n`);
    assert.equal(first.lines.some((l) => l.connected), false, 'the gateway was down: nothing can have been sent');
    await kill(first);

    await startBridge();
    const second = startAdapter(env);
    const restored = await line(second, (l) => l.journal !== undefined, 'journal');
    assert.equal((restored.journal as { restored: number }).restored, COUNT, 'the restarted adapter found every update in its journal');
    await line(second, (l) => l.drained === true, 'drained');
    await arrivedOnce(prefix);
  });

  it('an adapter SIGKILLed mid-drain and restarted: the rest arrives, nothing twice in Odoo', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lb-edge-journal-'));
    dirs.push(dir);
    const prefix = `journal-b-${process.pid}`;
    const env = { JOURNAL_DIR: dir, STREAM_ID: prefix, KEY_PREFIX: prefix };
    const first = startAdapter({ ...env, COUNT: String(COUNT) });
    await line(first, (l) => l.buffered === COUNT, 'buffered');
    await startBridge();
    await line(first, (l) => typeof l.acked === 'number' && l.acked >= 1_000, '1,000 acks');
    await kill(first);
    const lastAcked = Math.max(...first.lines.map((l) => (typeof l.acked === 'number' ? l.acked : 0)));
    const duplicatesBefore = await metric('logistics_bridge_applier_updates_total', 'outcome="duplicate"');

    const second = startAdapter(env);
    const restored = ((await line(second, (l) => l.journal !== undefined, 'journal')).journal as { restored: number }).restored;
    assert.ok(restored > 0 && restored < COUNT, `killed mid-drain: ${restored} of ${COUNT} left in the journal`);
    await line(second, (l) => l.drained === true, 'drained');
    await arrivedOnce(prefix);
    const duplicates = (await metric('logistics_bridge_applier_updates_total', 'outcome="duplicate"')) - duplicatesBefore;
    process.stdout.write(`      killed after ${lastAcked} acks; ${restored} left in the journal were sent again; Odoo answered ${duplicates} of them duplicate\n`);
  });
});
