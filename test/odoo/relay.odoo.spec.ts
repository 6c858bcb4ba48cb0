import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import type { Client } from 'pg';
import { Broker, EVENTS_EXCHANGE } from '../../sidecar/src/broker';
import { OdooClient } from '../../sidecar/src/odoo';
import { checkPayload, createRelay, EVENT_TYPES, HEARTBEAT_TIMEOUT_FACTOR, type RelayParts, type RelayPublisher } from '../../sidecar/src/outbox';
import { createLogger } from '../../sidecar/src/telemetry';
import { OdooFixtures } from '../../tools/fixtures';
import { AMQP_URL } from '../support/env';
import { insertEvents, pgFor, productChanged, stateCounts } from '../support/outbox-sql';
import { odooTarget } from './hooks';

const silent = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));

interface Received {
  msg: ConsumeMessage;
  body: string;
  outboxId: number;
  aggregateKey: string;
  /** Arrival (epoch ms) at the consumer. */
  at: number;
}

/** A consumer as a WMS would run one: its own queue bound to logistics.events, reading one Odoo database. */
class TestConsumer {
  readonly received: Received[] = [];
  private constructor(
    private readonly conn: ChannelModel,
    private readonly ch: Channel,
    private readonly queue: string,
  ) {}

  static async start(db: string, pattern = '#'): Promise<TestConsumer> {
    const conn = await amqp.connect(AMQP_URL);
    const ch = await conn.createChannel();
    await ch.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true, alternateExchange: 'logistics.unroutable' });
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, EVENTS_EXCHANGE, pattern);
    const c = new TestConsumer(conn, ch, queue);
    await ch.consume(
      queue,
      (msg) => {
        if (!msg) return;
        const h = msg.properties.headers ?? {};
        if (h['x-odoo-database'] === db) c.received.push({ msg, body: msg.content.toString('utf8'), outboxId: Number(h['x-outbox-id']), aggregateKey: String(h['x-aggregate-key']), at: Date.now() });
      },
      { noAck: true },
    );
    return c;
  }

  async waitFor(cond: (r: Received[]) => boolean, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond(this.received)) {
      if (Date.now() > deadline) throw new Error(`consumer condition not reached; ${this.received.length} messages received`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    await this.ch.deleteQueue(this.queue).catch(() => undefined);
    await this.conn.close().catch(() => undefined);
  }
}

/** Per aggregate, the outbox ids must arrive in increasing order (duplicates of the last one allowed). */
function assertOrderPerAggregate(received: readonly Received[]): void {
  const last = new Map<string, number>();
  for (const r of received) {
    const prev = last.get(r.aggregateKey) ?? 0;
    assert.ok(r.outboxId >= prev, `${r.aggregateKey}: event ${r.outboxId} arrived after ${prev}`);
    last.set(r.aggregateKey, r.outboxId);
  }
}

describe('odoo tier: the relay from a real Odoo outbox to RabbitMQ', function () {
  this.timeout(300_000);
  let fx: OdooFixtures;
  let pg: Client;
  let broker: Broker;
  let consumer: TestConsumer | undefined;
  const relays: Array<{ parts: RelayParts; odoo: OdooClient; ac: AbortController; run: Promise<void> }> = [];

  before(async () => {
    const t = odooTarget();
    fx = await OdooFixtures.connect({ url: t.url, db: t.db, login: t.admin.login, password: t.admin.secret });
    pg = await pgFor(t.db);
    broker = await Broker.open({ url: AMQP_URL }, silent);
    await broker.model.waitForConnect();
  });
  afterEach(async () => {
    await stopRelays();
    await consumer?.stop();
    consumer = undefined;
  });
  after(async () => {
    await broker.close();
    await pg.end();
  });

  function startRelay(workerId: string, opts: { leaseSeconds?: number; batchSize?: number; heartbeatSeconds?: number; wrapPublisher?: (p: RelayPublisher) => RelayPublisher } = {}) {
    const t = odooTarget();
    const odoo = new OdooClient({ url: t.url, db: t.db, login: t.service.login, secret: t.service.secret });
    const relay = { workerId, batchSize: opts.batchSize ?? 200, maxInFlight: 400, leaseSeconds: opts.leaseSeconds ?? 60, heartbeatSeconds: opts.heartbeatSeconds ?? 5 };
    const parts = createRelay({ config: { relay }, odoo, broker, log: silent, wrapPublisher: opts.wrapPublisher });
    const ac = new AbortController();
    const run = parts.relay.run(ac.signal);
    relays.push({ parts, odoo, ac, run });
    return parts;
  }

  async function stopRelays(): Promise<void> {
    for (const r of relays.splice(0)) {
      r.ac.abort(new Error('test done'));
      await r.run;
      await r.parts.publisher.close();
      r.odoo.close();
    }
  }

  /** Everything the fixtures emitted so far goes out first, so each test sees only its own events. */
  async function drainExisting(): Promise<void> {
    startRelay(`drain-${process.pid}`);
    const deadline = Date.now() + 60_000;
    for (;;) {
      // Pending events held back by a dead predecessor never drain: they are not counted.
      const r = await pg.query<{ n: string }>(`SELECT count(*) AS n FROM logistics_bridge_event t WHERE t.state IN ('pending', 'claimed')
          AND NOT EXISTS (SELECT 1 FROM logistics_bridge_event d WHERE d.aggregate_key = t.aggregate_key AND d.id < t.id AND d.state = 'dead')`);
      if (Number(r.rows[0]?.n) === 0) break;
      if (Date.now() > deadline) throw new Error('the outbox did not drain');
      await new Promise((res) => setTimeout(res, 100));
    }
    await stopRelays();
  }

  it('publishes a confirmed sale order and its validated picking, exactly the outbox events, with the message contract', async () => {
    const t = odooTarget();
    const product = await fx.product({ name: 'Relay desk', defaultCode: 'RD-1', barcode: '5012345678900' });
    await fx.setStock(product, 20);
    const customer = await fx.partner('Relay customer');
    await drainExisting();

    consumer = await TestConsumer.start(t.db);
    startRelay(`relay-a-${process.pid}`);
    const so = await fx.saleOrder(customer, [{ productId: product, quantity: 2 }]);
    for (const picking of so.pickingIds) await fx.validatePicking(picking);

    type Row = { id: number; uuid: string; event_type: string; aggregate_key: string; correlation_id: string | null; company_id: number | null; schema_version: number; state: string; payload: string };
    const expected = (await pg.query<Row>('SELECT id, uuid, event_type, aggregate_key, correlation_id, company_id, schema_version, state, payload FROM logistics_bridge_event WHERE correlation_id = $1 ORDER BY id', [so.name])).rows;
    const types = expected.map((r) => r.event_type);
    assert.ok(types.includes('sale.order.confirmed') && types.includes('stock.picking.ready') && types.includes('stock.picking.done'), `outbox holds ${types.join(', ')}`);

    await consumer.waitFor((r) => expected.every((e) => r.some((m) => m.msg.properties.messageId === e.uuid)));
    const mine = consumer.received.filter((m) => m.msg.properties.correlationId === so.name);
    assert.deepEqual(
      mine.map((m) => m.msg.properties.messageId).sort(),
      expected.map((e) => e.uuid).sort(),
      'exactly the outbox events of this order, each once',
    );
    for (const e of expected) {
      const m = mine.find((x) => x.msg.properties.messageId === e.uuid);
      assert.ok(m);
      const p = m.msg.properties;
      assert.equal(m.msg.fields.routingKey, e.event_type);
      assert.equal(p.type, e.event_type);
      assert.equal(p.deliveryMode, 2, 'persistent');
      assert.equal(p.contentType, 'application/json');
      assert.equal(p.appId, 'logistics-bridge');
      assert.equal(p.correlationId, so.name);
      assert.equal(typeof p.timestamp, 'number');
      assert.equal(p.headers?.['x-schema-version'], e.schema_version);
      assert.equal(p.headers?.['x-aggregate-key'], e.aggregate_key);
      assert.equal(p.headers?.['x-company-id'], e.company_id);
      assert.equal(p.headers?.['x-odoo-database'], t.db);
      assert.equal(m.body, e.payload, 'the body is the canonical payload, byte for byte');
      assert.deepEqual(checkPayload(e.event_type, e.schema_version, m.body), { ok: true }, `${e.event_type} matches its JSON Schema`);
    }
    assertOrderPerAggregate(mine);
    const states = (await pg.query<{ state: string }>('SELECT state FROM logistics_bridge_event WHERE correlation_id = $1', [so.name])).rows.map((r) => r.state);
    const deadline = Date.now() + 10_000;
    while (states.some((s) => s !== 'published') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      states.splice(0, states.length, ...(await pg.query<{ state: string }>('SELECT state FROM logistics_bridge_event WHERE correlation_id = $1', [so.name])).rows.map((r) => r.state));
    }
    assert.ok(states.every((s) => s === 'published'), `outbox states after the confirms: ${states.join(', ')}`);
  });

  it('every event type the addon emits passes its JSON Schema and is published', async () => {
    const t = odooTarget();
    await drainExisting();
    const from = Number((await pg.query<{ n: string }>('SELECT coalesce(max(id), 0) AS n FROM logistics_bridge_event')).rows[0]?.n);
    consumer = await TestConsumer.start(t.db);
    startRelay(`relay-types-${process.pid}`);
    const product = await fx.product({ name: 'Schema crate', defaultCode: 'SC-1' });
    await fx.call('product.product', 'write', [[product], { weight: 2.5 }]); // product.changed
    await fx.setStock(product, 50); // stock.inventory.adjusted
    const customer = await fx.partner('Schema customer');
    const so = await fx.saleOrder(customer, [{ productId: product, quantity: 4 }]); // sale.order.confirmed, stock.picking.ready
    for (const picking of so.pickingIds) await fx.validatePicking(picking); // stock.picking.done
    const delivered = so.pickingIds[0] as number;
    const wizard = (await fx.call('stock.return.picking', 'create', [{ picking_id: delivered }], { context: { active_id: delivered, active_model: 'stock.picking' } })) as number;
    await fx.call('stock.return.picking', 'action_create_returns_all', [[wizard]]); // stock.return.created
    const cancelled = await fx.saleOrder(customer, [{ productId: product, quantity: 1 }]);
    await fx.cancelSaleOrder(cancelled.id); // sale.order.cancelled, stock.picking.cancelled
    await fx.purchaseOrder(customer, [{ productId: product, quantity: 10 }]); // purchase.order.confirmed

    type Row = { id: number; uuid: string; event_type: string; schema_version: number; payload: string };
    const rows = (await pg.query<Row>('SELECT id, uuid, event_type, schema_version, payload FROM logistics_bridge_event WHERE id > $1 ORDER BY id', [from])).rows;
    const failures = rows.map((r) => ({ r, check: checkPayload(r.event_type, r.schema_version, r.payload) })).filter((x) => !x.check.ok);
    assert.deepEqual(failures.map((f) => `${f.r.event_type}: ${f.check.ok ? '' : f.check.error}`), [], 'real payloads match the schemas');
    const types = new Set(rows.map((r) => r.event_type));
    for (const type of EVENT_TYPES) assert.ok(types.has(type), `the scenario emitted no ${type} (got ${[...types].join(', ')})`);
    await consumer.waitFor((r) => rows.every((row) => r.some((m) => m.msg.properties.messageId === row.uuid)));
  });

  it('sends an event failing its schema to dead with the validation error; its aggregate waits, the others flow', async () => {
    const t = odooTarget();
    await drainExisting();
    consumer = await TestConsumer.start(t.db, 'product.changed');
    const [bad, afterBad, other] = await insertEvents(pg, [
      { eventType: 'product.changed', aggregateKey: 'product.product:900001', payload: '{"product":{"id":"not a number"}}' },
      { eventType: 'product.changed', aggregateKey: 'product.product:900001', payload: productChanged(900001, 2) },
      { eventType: 'product.changed', aggregateKey: 'product.product:900002', payload: productChanged(900002, 1) },
    ]);
    startRelay(`relay-schema-${process.pid}`);
    await consumer.waitFor((r) => r.some((m) => m.outboxId === other));
    const deadline = Date.now() + 15_000;
    let row: { state: string; last_error: string | null } | undefined;
    while (Date.now() < deadline) {
      row = (await pg.query<{ state: string; last_error: string | null }>('SELECT state, last_error FROM logistics_bridge_event WHERE id = $1', [bad])).rows[0];
      if (row?.state === 'dead') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(row?.state, 'dead');
    assert.match(row?.last_error ?? '', /product\.id/, 'the admin sees which field failed');
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(!consumer.received.some((m) => m.outboxId === bad || m.outboxId === afterBad), 'neither the bad event nor its successor was published');
    assert.deepEqual(await stateCounts(pg, [afterBad as number]), { pending: 1 });
    await pg.query('DELETE FROM logistics_bridge_event WHERE id = ANY($1)', [[bad, afterBad]]);
  });

  it('keeps per-aggregate order with two relays draining one backlog', async () => {
    const t = odooTarget();
    await drainExisting();
    consumer = await TestConsumer.start(t.db, 'product.changed');
    const rows = [];
    for (let seq = 1; seq <= 20; seq++) for (let p = 0; p < 100; p++) rows.push({ eventType: 'product.changed', aggregateKey: `product.product:${800000 + p}`, payload: productChanged(800000 + p, seq) });
    const ids = await insertEvents(pg, rows);
    startRelay(`relay-1-${process.pid}`, { batchSize: 50 });
    startRelay(`relay-2-${process.pid}`, { batchSize: 50 });
    const want = new Set(ids);
    await consumer.waitFor((r) => r.filter((m) => want.has(m.outboxId)).length >= ids.length, 120_000);
    const mine = consumer.received.filter((m) => want.has(m.outboxId));
    assert.equal(new Set(mine.map((m) => m.outboxId)).size, ids.length, 'every event delivered');
    assertOrderPerAggregate(mine);
    await stopRelays();
    assert.deepEqual(await stateCounts(pg, ids), { published: ids.length });
  });

  it('loses nothing when a relay is SIGKILLed mid-batch: its peer delivers the rest long before the dead one\'s lease ends', async () => {
    const t = odooTarget();
    await drainExisting();
    consumer = await TestConsumer.start(t.db, 'product.changed');
    const rows = [];
    for (let seq = 1; seq <= 10; seq++) for (let p = 0; p < 300; p++) rows.push({ eventType: 'product.changed', aggregateKey: `product.product:${700000 + p}`, payload: productChanged(700000 + p, seq) });
    const ids = await insertEvents(pg, rows);
    // node itself with tsx's require hook (no tsx wrapper process): the pid killed is the relay's.
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', resolve(__dirname, '../support/relay-child.ts')], {
      env: {
        PATH: process.env.PATH ?? '',
        ODOO_URL: t.url,
        ODOO_DB: t.db,
        ODOO_LOGIN: t.service.login,
        ODOO_API_KEY: t.service.secret,
        AMQP_URL,
        RELAY_WORKER_ID: `doomed-${process.pid}`,
        RELAY_BATCH_SIZE: '100',
        RELAY_MAX_IN_FLIGHT: '200',
        RELAY_LEASE_SECONDS: '60',
        RELAY_HEARTBEAT_SECONDS: '1',
        LOG_LEVEL: 'error',
        GATEWAY_TOKENS: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let childOut = '';
    child.stdout?.on('data', (d: Buffer) => (childOut += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (childOut += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((res) => child.once('exit', (_code, sig) => res(sig)));
    const want = new Set(ids);
    await consumer.waitFor((r) => r.filter((m) => want.has(m.outboxId)).length >= 150, 60_000).catch((err: unknown) => {
      throw new Error(`${String(err)}; child output: ${childOut}`);
    });
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const claimedByDead = await pg.query<{ id: number; expires: Date }>("SELECT id, lease_expires_at AT TIME ZONE 'UTC' AS expires FROM logistics_bridge_event WHERE state = 'claimed' AND lease_owner = $1", [`doomed-${process.pid}`]);
    const deliveredBeforeKill = new Set(consumer.received.filter((m) => want.has(m.outboxId)).map((m) => m.outboxId)).size;
    assert.ok(deliveredBeforeKill < ids.length, 'the relay must die with work left');
    assert.ok(claimedByDead.rows.length > 0, 'the relay must die holding claims');
    const leaseEnd = Math.min(...claimedByDead.rows.map((r) => r.expires.getTime()));

    startRelay(`survivor-${process.pid}`, { heartbeatSeconds: 1 });
    await consumer.waitFor((r) => new Set(r.filter((m) => want.has(m.outboxId)).map((m) => m.outboxId)).size === ids.length, 120_000);
    const freed = claimedByDead.rows.map((r) => r.id);
    const lastFreed = Math.max(...consumer.received.filter((m) => freed.includes(m.outboxId)).map((m) => m.at));
    assert.ok(lastFreed < leaseEnd, `the dead relay's ${freed.length} claims were published ${((leaseEnd - lastFreed) / 1000).toFixed(1)} s before their lease would have freed them`);
    await stopRelays();
    assert.deepEqual(await stateCounts(pg, ids), { published: ids.length }, `all published (the dead relay held ${freed.length} leases)`);
    // At least once: events confirmed but not acked before the kill may come twice, never out of order.
    const mine = consumer.received.filter((m) => want.has(m.outboxId));
    assertOrderPerAggregate(mine);
  });

  it('two live relays never take each other\'s claims, however long a batch is held', async () => {
    const t = odooTarget();
    await drainExisting();
    consumer = await TestConsumer.start(t.db, 'product.changed');
    const ids = await insertEvents(pg, Array.from({ length: 40 }, (_, p) => ({ eventType: 'product.changed', aggregateKey: `product.product:${650000 + p}`, payload: productChanged(650000 + p, 1) })));
    // Relay A's broker never confirms until the gate opens: it holds its whole claim meanwhile.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const heartbeatSeconds = 1;
    startRelay(`holder-${process.pid}`, { heartbeatSeconds, batchSize: 100, wrapPublisher: (inner) => ({ ready: (s) => inner.ready(s), publish: async (req, s) => gate.then(() => inner.publish(req, s)) }) });
    const heldByA = async () => (await pg.query<{ id: number }>("SELECT id FROM logistics_bridge_event WHERE id = ANY($1) AND state = 'claimed' AND lease_owner = $2", [ids, `holder-${process.pid}`])).rows.length;
    const deadline = Date.now() + 30_000;
    while ((await heldByA()) < ids.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await heldByA(), ids.length, 'relay A holds the whole backlog');
    startRelay(`peer-${process.pid}`, { heartbeatSeconds });
    // Well past the heartbeat timeout: A heartbeats, so B (which heartbeats and reaps too) takes nothing.
    await new Promise((r) => setTimeout(r, (heartbeatSeconds * HEARTBEAT_TIMEOUT_FACTOR + 3) * 1000));
    assert.equal(await heldByA(), ids.length, "the live relay's claims stay its own");
    assert.equal(consumer.received.filter((m) => ids.includes(m.outboxId)).length, 0, 'nothing published twice meanwhile');
    open();
    await consumer.waitFor((r) => new Set(r.filter((m) => ids.includes(m.outboxId)).map((m) => m.outboxId)).size === ids.length);
    await stopRelays();
    assert.deepEqual(await stateCounts(pg, ids), { published: ids.length });
    assert.equal(consumer.received.filter((m) => ids.includes(m.outboxId)).length, ids.length, 'each event published once: A acked all it held');
  });

  it('operator CLI: status shows counts and lag, replay republishes published events with the same messageId', async () => {
    const t = odooTarget();
    await drainExisting();
    const ids = await insertEvents(pg, [1, 2, 3].map((seq) => ({ eventType: 'product.changed', aggregateKey: 'product.product:600001', payload: productChanged(600001, seq) })));
    const env = { PATH: process.env.PATH ?? '', ODOO_URL: t.url, ODOO_DB: t.db, ODOO_LOGIN: t.service.login, ODOO_API_KEY: t.service.secret, AMQP_URL };
    const cli = (args: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((res) => {
        const p = spawn(process.execPath, [resolve(__dirname, '../../sidecar/bin/logistics-bridge.cjs'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr?.on('data', (d: Buffer) => (err += d.toString()));
        p.once('exit', (code) => res({ code, out, err }));
      });
    const before = await cli(['status', '--json']);
    const stats = JSON.parse(before.out) as { pending: number; dead: number; oldest_pending_age_s: number | null };
    // Exit code 3 tells a monitoring job that dead letters wait (other suites of this tier leave some).
    assert.equal(before.code, stats.dead > 0 ? 3 : 0, before.err);
    assert.ok(stats.pending >= 3);
    assert.equal(typeof stats.oldest_pending_age_s, 'number', 'lag is reported while events are pending');

    startRelay(`relay-cli-${process.pid}`);
    const deadline = Date.now() + 30_000;
    while ((await stateCounts(pg, ids)).published !== 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await stopRelays();

    consumer = await TestConsumer.start(t.db, 'product.changed');
    const replay = await cli(['replay', '--since', String((ids[0] as number) - 1), '--type', 'product.changed']);
    assert.equal(replay.code, 0, replay.err);
    assert.equal((JSON.parse(replay.out.trim().split('\n').at(-1) ?? '{}') as { replayed: number }).replayed, 3);
    await consumer.waitFor((r) => ids.every((id) => r.some((m) => m.outboxId === id)));
    const uuids = (await pg.query<{ id: number; uuid: string }>('SELECT id, uuid FROM logistics_bridge_event WHERE id = ANY($1)', [ids])).rows;
    for (const m of consumer.received.filter((x) => ids.includes(x.outboxId))) {
      assert.equal(m.msg.properties.messageId, uuids.find((u) => u.id === m.outboxId)?.uuid, 'same messageId as the original publication');
      assert.equal(typeof m.msg.properties.headers?.['x-replayed-at'], 'string');
    }
    assertOrderPerAggregate(consumer.received);
    assert.deepEqual(await stateCounts(pg, ids), { published: 3 }, 'replay leaves the outbox as it is');
    const usage = await cli(['replay', '--since', 'yesterday']);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /ISO 8601/);
  });
});
