import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import amqp, { type ChannelModel } from 'amqplib';
import type { Client } from 'pg';
import { AdapterClient } from '@logistics-bridge/adapter-sdk';
import type { Family } from '@logistics-bridge/contract';
import { gtin13, seededRandom } from '../../adapters/simulators';
import { poolNames, TOPOLOGY } from '../../sidecar/src/broker';
import { OdooFixtures } from '../../tools/fixtures';
import { odooTarget, oncePerBroker } from '../odoo/hooks';
import { checkDeadLetters, checkEffects, checkEvents, checkUpdates, checkWork, summary, violations, type ChainFigures, type CommittedEvent, type PickingEffect } from '../support/chain-checks';
import { AMQP_URL } from '../support/env';
import { describeFault, faultSchedule, faultSeed, type Fault } from '../support/fault-schedule';
import { insertEvents, pgFor, productChanged } from '../support/outbox-sql';
import { pollJson, sidecarEnv, startSidecar, type SidecarProcess } from '../support/sidecar';
import { TcpProxy } from '../support/tcp-proxy';

/**
 * Issue 13's whole-chain fault suite: Odoo → relay → RabbitMQ → work router → adapters (the SDK and the
 * reference simulators, in their own process) → gateway → applier → Odoo, all real processes, while a
 * seeded plan SIGKILLs the sidecar and the adapter process (each restarted), restarts the broker, crashes
 * Odoo, and drops, stalls or resets the links sidecar ↔ broker and adapter ↔ gateway (TCP proxies). Then:
 * every committed event published (at least once, in order per aggregate), every update the gateway
 * acknowledged applied exactly once (inbox and effects), every work item acknowledged or withdrawn, dead
 * letters exactly for the inputs made bad on purpose. FAULT_SEED=<seed> replays a run (docs/faults.md).
 */
const exec = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FAMILIES: readonly Family[] = ['robot_fleet', 'barcode', 'sorter'];
const WAREHOUSE = 'FLT';
/** Ports of the helper range of this suite (fixed: a restarted sidecar must come back where the proxy points). */
const PORT_BASE = Number(process.env.FAULT_PORT_BASE ?? 26000);
const PORTS = { grpc: PORT_BASE + 51, http: PORT_BASE + 64, gatewayProxy: PORT_BASE + 52, brokerProxy: PORT_BASE + 72 };
const ADAPTERS: Record<Family, { adapterId: string; token: string }> = {
  robot_fleet: { adapterId: 'flt-robots', token: 'flt-robots-token-0123456' },
  barcode: { adapterId: 'flt-barcode', token: 'flt-barcode-token-012345' },
  sorter: { adapterId: 'flt-sorter', token: 'flt-sorter-token-0123456' },
};
const BAD = { adapterId: 'flt-bad-input', token: 'flt-bad-input-token-0123' };
/** The fault window, and the workload spread over it. */
const WINDOW_MS = 100_000;
const RELEASES = 24;
const CANCEL_EVERY = 6;
const EVENT_AGGREGATES = 20;
const EVENT_WAVES = 10;
const EVENTS_PER_WAVE = 5;
const BAD_INPUTS = 3;
const EVENTS_QUEUE = 'faults.chain.events';

interface Line {
  t: number;
  text: string;
}

describe('faults: the whole chain under a seeded plan of crashes, restarts and cuts', function () {
  this.timeout(600_000);
  const seed = faultSeed();
  const plan: Fault[] = faultSchedule(seed, { windowMs: WINDOW_MS - 10_000 });
  let started = Date.now();
  const log: Line[] = [];
  const say = (text: string) => {
    const line = { t: Date.now(), text };
    log.push(line);
    process.stdout.write(`      [+${((line.t - started) / 1000).toFixed(1)}s] ${text}\n`);
  };

  let pg: Client;
  let fx: OdooFixtures;
  let consumer: ChannelModel | undefined;
  let sidecar: SidecarProcess | undefined;
  const sidecarOutputs: string[] = [];
  let adapter: ChildProcess | undefined;
  const adapterRuns: Array<{ sent: Map<Family, string[]>; durable: Map<Family, number>; stderr: string }> = [];
  const acked = new Set<string>();
  const deliveries: string[] = [];
  let brokerProxy: TcpProxy;
  let gatewayProxy: TcpProxy;
  let bad: AdapterClient | undefined;
  const badKeys = new Set<string>();
  const badDurable = new Set<string>();
  let stopConsumer = false;
  /** Closed while Odoo restarts: the workload's fixture calls wait for it (a retried create could run twice). */
  let odooGate: Promise<void> = Promise.resolve();
  let workloadStep: Promise<unknown> = Promise.resolve();

  const broker = new URL(AMQP_URL.split(',')[0] ?? AMQP_URL);
  const vhost = decodeURIComponent(broker.pathname.slice(1)) || '/';
  const brokerPort = Number(broker.port || 5672);
  /** A private RabbitMQ 4 node of tools/rabbitmq4.sh (FAULT_RMQ4_NAME) can be really restarted; a shared broker only has its connections closed. */
  const privateNode = process.env.FAULT_RMQ4_NAME;

  function proxiedAmqpUrl(): string {
    const u = new URL(broker.toString());
    u.port = String(PORTS.brokerProxy);
    return u.toString();
  }

  function startTheSidecar(): void {
    const t = odooTarget();
    sidecar = startSidecar(
      sidecarEnv(t, {
        AMQP_URL: proxiedAmqpUrl(),
        HTTP_LISTEN: `127.0.0.1:${PORTS.http}`,
        GRPC_LISTEN: `127.0.0.1:${PORTS.grpc}`,
        RELAY_WORKER_ID: `chain-faults-${process.pid}`,
        GATEWAY_TOKENS: JSON.stringify({
          ...Object.fromEntries(FAMILIES.map((f) => [ADAPTERS[f].adapterId, { token: ADAPTERS[f].token, family: f, devices: ['*'], ratePerSecond: 2000 }])),
          [BAD.adapterId]: { token: BAD.token, family: 'barcode', devices: ['*'], ratePerSecond: 100 },
        }),
        LOG_LEVEL: 'warn',
      }),
    );
    const mine = sidecar;
    void mine.exited.then(() => sidecarOutputs.push(mine.output()));
  }

  async function killSidecar(signal: NodeJS.Signals): Promise<void> {
    const s = sidecar;
    if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
    s.child.kill(signal);
    await s.exited;
  }

  async function sidecarReady(): Promise<void> {
    const ready = await pollJson(`http://127.0.0.1:${PORTS.http}/readyz`, (s) => s === 200, 120_000);
    assert.equal(ready.status, 200, `sidecar not ready: ${JSON.stringify(ready.body)}\n${sidecar?.output().slice(-3000)}`);
  }

  let adapterReady: Promise<void> = Promise.resolve();

  function startAdapter(): void {
    const run = { sent: new Map<Family, string[]>(), durable: new Map<Family, number>(), stderr: '' };
    adapterRuns.push(run);
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', resolve(__dirname, '../support/chain-adapter-child.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        CHAIN_ADDRESS: `127.0.0.1:${PORTS.gatewayProxy}`,
        CHAIN_ADAPTERS: JSON.stringify(ADAPTERS),
        CHAIN_WAREHOUSE: WAREHOUSE,
        CHAIN_SEED: String(seed),
        CHAIN_SPEED: '10',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    let ready = () => undefined as void;
    adapterReady = new Promise<void>((r) => (ready = r));
    child.stdout?.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        const [kind, family, a] = l.split(' ') as [string, Family, string];
        if (kind === 'S') run.sent.set(family, [...(run.sent.get(family) ?? []), a]);
        else if (kind === 'D') run.durable.set(family, Math.max(run.durable.get(family) ?? 0, Number(a)));
        else if (kind === 'A') acked.add(`${family} ${a}`);
        else if (kind === 'READY') ready();
      }
    });
    child.stderr?.on('data', (d: Buffer) => (run.stderr = (run.stderr + d.toString()).slice(-20_000)));
    adapter = child;
  }

  async function killAdapter(signal: NodeJS.Signals): Promise<void> {
    const a = adapter;
    if (!a || a.exitCode !== null || a.signalCode !== null) return;
    const exited = new Promise((r) => a.once('exit', r));
    a.kill(signal);
    await exited;
  }

  /** The suite's consumer of logistics.events: a durable queue of its own, reconnecting through every broker fault. */
  async function consume(): Promise<void> {
    while (!stopConsumer) {
      try {
        const conn = await amqp.connect(AMQP_URL);
        consumer = conn;
        const closed = new Promise<void>((r) => {
          conn.on('close', () => r());
          conn.on('error', () => undefined);
        });
        const ch = await conn.createChannel();
        await ch.prefetch(500);
        await ch.consume(EVENTS_QUEUE, (m) => {
          if (!m) return;
          deliveries.push(String(m.properties.messageId));
          ch.ack(m);
        });
        await closed;
      } catch {
        // the broker is restarting: try again
      }
      if (!stopConsumer) await sleep(500);
    }
  }

  /** The broker fault that this broker allows: a real restart of a private node, else every connection of the vhost closed. */
  async function brokerFault(holdMs: number): Promise<string> {
    if (privateNode) {
      const env = { ...process.env, RMQ4_NAME: privateNode, RMQ4_PORT: String(brokerPort), RMQ4_MGMT_PORT: String(brokerPort + 1) };
      await exec(resolve(ROOT, 'tools/rabbitmq4.sh'), ['--stop'], { env });
      await sleep(holdMs);
      await exec(resolve(ROOT, 'tools/rabbitmq4.sh'), [], { env, timeout: 180_000 });
      return `restarted the private RabbitMQ 4 node ${privateNode}@localhost (stopped ${holdMs} ms)`;
    }
    const api = `http://${broker.hostname}:${brokerPort + 10000}/api`;
    const auth = `Basic ${Buffer.from(`${decodeURIComponent(broker.username || 'guest')}:${decodeURIComponent(broker.password || 'guest')}`).toString('base64')}`;
    const listed = await fetch(`${api}/vhosts/${encodeURIComponent(vhost)}/connections`, { headers: { authorization: auth } }).catch(() => undefined);
    if (listed?.ok) {
      const all = (await listed.json()) as Array<{ name: string }>;
      for (const c of all) await fetch(`${api}/connections/${encodeURIComponent(c.name)}`, { method: 'DELETE', headers: { authorization: auth, 'x-reason': 'fault suite: broker restart' } });
      return `closed all ${all.length} connections of vhost ${vhost} through the management API (a shared broker is never stopped)`;
    }
    await exec('rabbitmqctl', ['-q', 'close_all_connections', '--vhost', vhost, 'fault suite: broker restart']);
    return `closed all connections of vhost ${vhost} with rabbitmqctl (the shared RabbitMQ has no management API here and is never stopped)`;
  }

  async function inject(f: Fault): Promise<void> {
    const what = describeFault(f);
    switch (f.kind) {
      case 'sidecar-kill':
        await killSidecar('SIGKILL');
        say(`SIGKILL sidecar (${what})`);
        await sleep(f.holdMs);
        startTheSidecar();
        await sidecarReady();
        say('sidecar restarted and ready');
        return;
      case 'adapter-kill':
        await killAdapter('SIGKILL');
        say(`SIGKILL adapter process (${what})`);
        await sleep(f.holdMs);
        startAdapter();
        say('adapter process restarted');
        return;
      case 'broker-restart':
        say(`broker fault (${what}) ...`);
        say(await brokerFault(f.holdMs));
        return;
      case 'odoo-restart': {
        const t = odooTarget();
        if (!t.crashAndRestart) {
          say('Odoo restart skipped: this Odoo is not the suite’s own');
          return;
        }
        let open = () => undefined as void;
        odooGate = new Promise<void>((r) => (open = r));
        await workloadStep.catch(() => undefined);
        say(`SIGKILL Odoo (${what}) and start it again`);
        await t.crashAndRestart();
        open();
        say('Odoo answering again');
        return;
      }
      case 'broker-link':
      case 'gateway-link': {
        const proxy = f.kind === 'broker-link' ? brokerProxy : gatewayProxy;
        const link = f.kind === 'broker-link' ? 'sidecar ↔ broker' : 'adapter ↔ gateway';
        if (f.mode === 'reset') {
          proxy.reset();
          say(`RST every ${link} connection (${what})`);
          await sleep(f.holdMs);
          return;
        }
        if (f.mode === 'stall') proxy.stall();
        else proxy.cut();
        say(`${f.mode} the ${link} link (${what})`);
        await sleep(f.holdMs);
        proxy.restore();
        say(`${link} link restored`);
        return;
      }
    }
  }

  before(async function () {
    await oncePerBroker(this, 'whole-chain fault suite');
  });

  before(async () => {
    started = Date.now();
    say(`FAULT_SEED=${seed} (replay: FAULT_SEED=${seed} npm run test:faults)`);
    for (const f of plan) say(`plan: ${describeFault(f)}`);
    const t = odooTarget();
    pg = await pgFor(t.db);
    fx = await OdooFixtures.connect({ url: t.url, db: t.db, login: t.admin.login, password: t.admin.secret });
    // What earlier runs left on this vhost: the suite's events queue, updates and their dead letters, the pools.
    const conn = await amqp.connect(AMQP_URL);
    const ch = await conn.createChannel();
    await ch.assertExchange('logistics.events', 'topic', { durable: true, alternateExchange: 'logistics.unroutable' });
    await ch.assertQueue(EVENTS_QUEUE, { durable: true });
    await ch.bindQueue(EVENTS_QUEUE, 'logistics.events', '#');
    await ch.purgeQueue(EVENTS_QUEUE);
    await ch.close();
    for (const q of ['logistics.updates', 'logistics.updates.dead', 'logistics.device-work', ...FAMILIES.flatMap((f) => [poolNames(TOPOLOGY, f, WAREHOUSE).queue, poolNames(TOPOLOGY, f, '').queue])]) {
      const c = await conn.createChannel();
      c.on('error', () => undefined);
      await c.checkQueue(q).then(() => c.purgeQueue(q), () => undefined);
      await c.close().catch(() => undefined);
    }
    await conn.close();
    brokerProxy = new TcpProxy(broker.hostname, brokerPort);
    await brokerProxy.start(PORTS.brokerProxy);
    gatewayProxy = new TcpProxy('127.0.0.1', PORTS.grpc);
    await gatewayProxy.start(PORTS.gatewayProxy);
    void consume();
  });

  after(async () => {
    stopConsumer = true;
    await bad?.close(2_000).catch(() => undefined);
    await killAdapter('SIGKILL');
    await killSidecar('SIGKILL');
    await consumer?.close().catch(() => undefined);
    await brokerProxy?.close();
    await gatewayProxy?.close();
    await pg?.end();
  });

  it(`keeps every invariant through the plan (seed ${seed})`, async () => {
    const rnd = seededRandom(seed ^ 0x5eed);
    // A warehouse of its own with stock of two products, and a customer.
    await fx.call('stock.warehouse', 'create', [{ name: 'Fault suite', code: WAREHOUSE }]);
    const [wh] = await fx.searchRead<{ id: number; lot_stock_id: [number, string] }>('stock.warehouse', [['code', '=', WAREHOUSE]], ['lot_stock_id']);
    assert.ok(wh);
    const products: number[] = [];
    for (let i = 0; i < 2; i++) {
      const id = await fx.product({ name: `Fault suite item ${i}`, barcode: gtin13(`40063813${String(seed % 1000).padStart(3, '0')}${i}`), defaultCode: `FLT-${i}` });
      const quant = await fx.call('stock.quant', 'create', [{ product_id: id, location_id: wh.lot_stock_id[0], inventory_quantity: 1000 }], { context: { inventory_mode: true } });
      await fx.call('stock.quant', 'action_apply_inventory', [[quant]], { context: { inventory_mode: true } }).catch(() => undefined);
      products.push(id);
    }
    const stockOf = async (product: number): Promise<number> => {
      const quants = await fx.searchRead<{ quantity: number }>('stock.quant', [['product_id', '=', product], ['location_id', 'child_of', wh.lot_stock_id[0]]], ['quantity']);
      return quants.reduce((n, q) => n + q.quantity, 0);
    };
    const initialStock = new Map<number, number>();
    for (const p of products) initialStock.set(p, await stockOf(p));
    const customer = await fx.partner('Fault suite customer');
    const [{ max: startId }] = (await pg.query<{ max: number | null }>('SELECT max(id) AS max FROM logistics_bridge_event')).rows as [{ max: number | null }];

    startTheSidecar();
    await sidecarReady();
    startAdapter();
    // Work for a warehouse whose pool does not exist yet goes to the family's general pool, which this
    // warehouse's adapters do not read: the pools exist once its adapters have connected once.
    await adapterReady;
    for (const until = Date.now() + 60_000; (await poolsMissing()) > 0; ) {
      assert.ok(Date.now() < until, `the ${WAREHOUSE} pools were not declared`);
      await sleep(500);
    }
    say('chain up: sidecar, adapter process (robot_fleet, barcode, sorter simulators), consumer');

    // The workload, spread over the window: releases (some cancelled: their work is void), outbox events
    // on aggregates of their own (many per aggregate, for the order check), and bad inputs on purpose.
    const cancelled: number[] = [];
    const workload = (async () => {
      const aggregateBase = 9_000_000 + (seed % 1000) * 1000;
      const steps: Array<{ at: number; run: () => Promise<unknown> }> = [];
      for (let i = 0; i < RELEASES; i++) {
        steps.push({
          at: (i * WINDOW_MS) / RELEASES,
          run: async () => {
            const lines = products.slice(0, rnd.int(1, 2)).map((p) => [0, 0, { product_id: p, product_uom_qty: rnd.int(1, 3) }]);
            const so = (await fx.call('sale.order', 'create', [{ partner_id: customer, warehouse_id: wh.id, order_line: lines }])) as number;
            await fx.call('sale.order', 'action_confirm', [[so]]);
            if (i % CANCEL_EVERY === CANCEL_EVERY - 1) {
              await sleep(rnd.int(0, 1500));
              await fx.cancelSaleOrder(so);
              cancelled.push(so);
            }
          },
        });
      }
      for (let w = 0; w < EVENT_WAVES; w++) {
        steps.push({
          at: (w * WINDOW_MS) / EVENT_WAVES + 500,
          run: () => {
            const rows = [];
            for (let k = 0; k < EVENTS_PER_WAVE; k++) for (let a = 0; a < EVENT_AGGREGATES; a++) rows.push({ eventType: 'product.changed', aggregateKey: `product.product:${aggregateBase + a}`, payload: productChanged(aggregateBase + a, w * EVENTS_PER_WAVE + k), priority: 90 });
            return insertEvents(pg, rows);
          },
        });
      }
      for (let b = 0; b < BAD_INPUTS; b++) {
        steps.push({
          at: rnd.int(5_000, WINDOW_MS - 5_000),
          run: async () => {
            // A pick for a picking that does not exist: Odoo rejects it, the applier dead-letters it with the reason.
            const key = `flt-bad:${seed}:${b}`;
            badKeys.add(key);
            await bad?.sendUpdate('bad-scanner-01', 'pick.confirmed', { picking: { name: `${WAREHOUSE}/NOPE/${seed}-${b}` }, lines: [{ product: { id: products[0] as number }, quantity: 1 }] }, { idempotencyKey: key });
            void bad?.flush(300_000).then(() => badDurable.add(key), () => undefined);
          },
        });
      }
      steps.sort((a, b) => a.at - b.at);
      bad = new AdapterClient({ address: `127.0.0.1:${PORTS.grpc}`, token: BAD.token, family: 'barcode', adapterId: BAD.adapterId, backoff: { baseMs: 200, maxMs: 2_000 } });
      await bad.start();
      const t0 = Date.now();
      for (const s of steps) {
        const wait = t0 + s.at - Date.now();
        if (wait > 0) await sleep(wait);
        await odooGate;
        workloadStep = s.run();
        await workloadStep;
      }
      say(`workload done: ${RELEASES} releases (${cancelled.length} cancelled), ${EVENT_WAVES * EVENTS_PER_WAVE * EVENT_AGGREGATES} outbox events on ${EVENT_AGGREGATES} aggregates, ${BAD_INPUTS} bad inputs`);
    })();

    const faults = (async () => {
      const t0 = Date.now();
      for (const f of plan) {
        const wait = t0 + f.atMs - Date.now();
        if (wait > 0) await sleep(wait);
        await inject(f);
      }
      say('every planned fault injected and healed');
    })();
    await Promise.all([workload, faults]);

    // Settle: the chain finishes by itself, with no help from the test.
    /** The figures now; the dead letters (a CLI process) and the pools only at the end, after the stop. */
    const collect = async (end?: { leftInPools: number }): Promise<ChainFigures> => {
      const committed = (await pg.query<CommittedEvent>('SELECT uuid, aggregate_key AS aggregate, id FROM logistics_bridge_event WHERE id > $1 ORDER BY id', [startId ?? 0])).rows;
      const sent = new Set<string>();
      const durable = new Set<string>(badDurable);
      for (const run of adapterRuns) {
        for (const [family, keys] of run.sent) {
          keys.forEach((k, i) => {
            sent.add(k);
            if (i < (run.durable.get(family) ?? 0)) durable.add(k);
          });
        }
      }
      for (const k of badKeys) sent.add(k);
      const inbox = (await pg.query<{ key: string; state: string }>('SELECT idempotency_key AS key, state FROM logistics_bridge_update WHERE idempotency_key = ANY($1)', [[...sent]])).rows;
      const pickingRows = await fx.searchRead<{ id: number; name: string; state: string }>('stock.picking', [['picking_type_id.warehouse_id', '=', wh.id], ['picking_type_code', '=', 'outgoing']], ['name', 'state']);
      const moves = await fx.searchRead<{ picking_id: [number, string]; product_id: [number, string]; product_uom_qty: number; quantity: number; picked: boolean }>('stock.move', [['picking_id', 'in', pickingRows.map((p) => p.id)]], ['picking_id', 'product_id', 'product_uom_qty', 'quantity', 'picked']);
      const applied = (await pg.query<{ picking_id: number; update_type: string }>("SELECT picking_id, update_type FROM logistics_bridge_update WHERE state = 'applied' AND picking_id = ANY($1)", [pickingRows.map((p) => p.id)])).rows;
      const effects: PickingEffect[] = pickingRows.map((p) => ({
        name: p.name,
        state: p.state,
        moves: moves.filter((m) => m.picking_id[0] === p.id).map((m) => ({ product: m.product_id[0], demand: m.product_uom_qty, quantity: m.quantity, picked: m.picked })),
        applied: applied.filter((a) => a.picking_id === p.id).map((a) => a.update_type),
      }));
      const stock = new Map<number, { initial: number; now: number }>();
      for (const p of products) stock.set(p, { initial: initialStock.get(p) ?? 0, now: await stockOf(p) });
      const ready = (await pg.query<{ uuid: string; picking: number }>("SELECT uuid, aggregate_id AS picking FROM logistics_bridge_event WHERE id > $1 AND event_type = 'stock.picking.ready' AND aggregate_id = ANY($2)", [startId ?? 0, pickingRows.map((p) => p.id)])).rows;
      // The work of the pickings cancelled on purpose is void; their devices' updates race the cancel.
      const cancelledPickings = new Set((await fx.searchRead<{ id: number }>('stock.picking', [['sale_id', 'in', cancelled]], ['id'])).map((p) => p.id));
      const voidIds = new Set(ready.filter((r) => cancelledPickings.has(r.picking)).map((r) => r.uuid));
      const racing = new Set([...sent].filter((k) => voidIds.has(k.slice(0, k.indexOf(':')))));
      const dead = end ? await deadLetters() : [];
      return {
        events: checkEvents(committed, deliveries),
        updates: checkUpdates({ sent, durable, inbox, bad: badKeys, racing }),
        effects: checkEffects(effects, stock),
        work: checkWork({ items: ready.flatMap((r) => FAMILIES.map((family) => ({ workId: r.uuid, family }))), acked, withdrawn: voidIds, leftInPools: end?.leftInPools ?? 0 }),
        dead: checkDeadLetters(dead, end ? badKeys : new Set(), racing),
      };
    };
    let figures = await collect();
    let quietSince = Date.now();
    let lastActivity = -1;
    let rounds = 0;
    for (const until = Date.now() + 150_000; Date.now() < until; ) {
      const v = violations(figures);
      const activity = deliveries.length + acked.size + adapterRuns.reduce((n, r) => n + [...r.sent.values()].reduce((m, k) => m + k.length, 0), 0);
      if (activity !== lastActivity) {
        lastActivity = activity;
        quietSince = Date.now();
      }
      if (Object.values(v).every((n) => n === 0) && Date.now() - quietSince > 8_000) break;
      if (++rounds % 10 === 0) say(`settling: ${summary(figures).split('\n')[0]}`);
      await sleep(2_000);
      figures = await collect();
    }

    // Stop the adapters and the sidecar the way an operator does; what work is left in the pools then stays there.
    await killAdapter('SIGTERM');
    await killSidecar('SIGTERM');
    figures = await collect({ leftInPools: await leftInPools() });
    say(`figures (seed ${seed}):\n${summary(figures)}`);
    const v = violations(figures);
    assert.deepEqual(
      v,
      Object.fromEntries(Object.keys(v).map((k) => [k, 0])),
      `invariants broken with FAULT_SEED=${seed}:\n${summary(figures)}\nadapter stderr: ${adapterRuns.map((r) => r.stderr.slice(-1500)).join('\n---\n')}\nsidecar: ${[...sidecarOutputs, sidecar?.output() ?? ''].map((o) => o.slice(-2000)).join('\n---\n')}`,
    );
    assert.ok(figures.events.committed > 0 && figures.updates.durable > 0 && figures.effects.done > 0, `the run moved too little to prove anything:\n${summary(figures)}`);
  });

  /** Messages in the pools of `WAREHOUSE` and in the families' general pools (where work goes while a warehouse has no pool). */
  async function leftInPools(): Promise<number> {
    return (await pools()).reduce<number>((n, q) => n + (q ?? 0), 0);
  }

  async function poolsMissing(): Promise<number> {
    return (await pools()).slice(0, FAMILIES.length).filter((q) => q === undefined).length;
  }

  async function pools(): Promise<Array<number | undefined>> {
    const conn = await amqp.connect(AMQP_URL);
    const out: Array<number | undefined> = [];
    for (const warehouse of [WAREHOUSE, '']) {
      for (const f of FAMILIES) {
        const c = await conn.createChannel();
        c.on('error', () => undefined);
        out.push(await c.checkQueue(poolNames(TOPOLOGY, f, warehouse).queue).then((q) => q.messageCount, () => undefined));
        await c.close().catch(() => undefined);
      }
    }
    await conn.close();
    return out;
  }

  /** The dead letters of logistics.updates.dead, as the operator's CLI lists them (reading moves nothing). */
  async function deadLetters(): Promise<Array<{ id: string; reason: string }>> {
    const { stdout } = await exec(process.execPath, ['--require', 'tsx/cjs', resolve(ROOT, 'sidecar/src/cli/index.ts'), 'dead', 'list', '--json', '--limit', '1000'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...sidecarEnv(odooTarget(), { LOG_LEVEL: 'error' }) },
    });
    return (JSON.parse(stdout) as Array<{ id: string; reason: string }>).map((d) => ({ id: d.id, reason: d.reason }));
  }
});
