import assert from 'node:assert/strict';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { DEAD_HEADERS } from '../../sidecar/src/inbound';
import { OdooFixtures } from '../../tools/fixtures';
import { drainQueue, publishUpdates, startApplier, until, update, type RunningApplier } from '../support/applier';
import { AMQP_URL } from '../support/env';
import { odooTarget } from './hooks';

/**
 * The inbound applier against the real Odoo: each suite uses its own queue names, so the real
 * `logistics.updates` (and a running sidecar) is never touched.
 */
describe('inbound applier (odoo)', function () {
  this.timeout(300_000);
  let fx: OdooFixtures;
  let conn: ChannelModel;
  let ch: Channel;
  let running: RunningApplier | undefined;
  const run = `${process.pid}-${Date.now()}`;
  const queues: string[] = [];

  before(async () => {
    const t = odooTarget();
    fx = await OdooFixtures.connect({ url: t.url, db: t.db, login: t.admin.login, password: t.admin.secret });
    conn = await amqp.connect(AMQP_URL);
    ch = await conn.createChannel();
  });

  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  after(async () => {
    for (const q of queues) await ch.deleteQueue(q).catch(() => undefined);
    await conn?.close().catch(() => undefined);
  });

  async function inbox(keys: string[]): Promise<Array<{ idempotency_key: string; state: string; reason: string | false }>> {
    return fx.searchRead('logistics.bridge.update', [['idempotency_key', 'in', keys]], ['idempotency_key', 'state', 'reason']);
  }

  async function picking(tag: string, barcode: string, quantity: number): Promise<{ id: number; name: string }> {
    const product = await fx.product({ name: `Applier ${tag}`, barcode, defaultCode: `APPLY-${tag}` });
    await fx.setStock(product, quantity * 10);
    const so = await fx.saleOrder(await fx.partner(`Applier customer ${tag}`), [{ productId: product, quantity }]);
    const id = so.pickingIds[0] ?? 0;
    const [p] = await fx.searchRead<{ name: string }>('stock.picking', [['id', '=', id]], ['name']);
    return { id, name: p?.name ?? '' };
  }

  it('applies a mixed batch: effects once, duplicates acked, rejected and malformed dead-lettered with their reasons, nothing lost', async () => {
    const prefix = `test.applier.mix.${run}.`;
    queues.push(`${prefix}logistics.updates`, `${prefix}logistics.updates.dead`);
    const barcode = `20${String(Date.now()).slice(-11)}`;
    const pk = await picking(`mix-${run}`, barcode, 3);
    const k = (s: string) => `applier-${run}:${s}`;
    const pick = update(k('pick'), 'pick.confirmed', { picking: { name: pk.name }, lines: [{ product: { barcode }, quantity: 3 }] }, { correlation_id: 'S-mix' });
    const device = update(k('status'), 'device.status', { status: 'online', family: 'sorter' }, { device_id: `sorter-${run}` });
    const unknownProduct = update(k('unknown-product'), 'pick.confirmed', { picking: { name: pk.name }, lines: [{ product: { barcode: '0000000000000' }, quantity: 1 }] });
    const badSscc = { ...update(k('bad-sscc'), 'parcel.sorted', { sscc: '376104250021234560', chute: 'C1' }) };
    const messages = [pick, device, pick, unknownProduct, badSscc, '{"idempotency_key": "truncated', { ...pick, idempotency_key: k('pick') }];
    await publishUpdates(ch, `${prefix}logistics.updates`, messages);

    running = await startApplier(odooTarget(), prefix, { batchSize: 50, lingerMs: 50 });
    const r = running;
    await until('the queue drained and the dead letters confirmed', async () => {
      const q = await ch.checkQueue(r.queue);
      const d = await ch.checkQueue(r.deadQueue);
      return q.messageCount === 0 && d.messageCount === 3 && (await r.metrics.updates.get()).values.reduce((n, v) => n + v.value, 0) >= 7;
    });

    // Effect once: one inbox row per key, the picked quantity set once.
    const rows = await inbox([k('pick'), k('status'), k('unknown-product'), k('bad-sscc')]);
    const state = Object.fromEntries(rows.map((row) => [row.idempotency_key, row.state]));
    // The malformed update never reaches the apply path; the applier records its dead letter in Odoo (stage
    // schema, for the Dead letters menu) once RabbitMQ confirmed the dead copy.
    await until('the schema dead letter recorded in Odoo', async () => (await fx.searchRead<{ id: number }>('logistics.bridge.update', [['idempotency_key', '=', k('bad-sscc')], ['dead_stage', '=', 'schema']], ['id'])).length === 1);
    assert.deepEqual(state, { [k('pick')]: 'applied', [k('status')]: 'applied', [k('unknown-product')]: 'rejected', [k('bad-sscc')]: 'rejected' }, 'applied once, rejected by Odoo, or recorded as a dead letter');
    const moves = await fx.searchRead<{ quantity: number; picked: boolean }>('stock.move', [['picking_id', '=', pk.id]], ['quantity', 'picked']);
    assert.deepEqual(moves.map((m) => [m.quantity, m.picked]), [[3, true]]);
    const devices = await fx.searchRead<{ state: string }>('logistics.bridge.device', [['name', '=', `sorter-${run}`]], ['state']);
    assert.equal(devices.length, 1);

    const counts = Object.fromEntries((await r.metrics.updates.get()).values.map((v) => [String(v.labels.outcome), v.value]));
    assert.deepEqual(counts, { applied: 2, duplicate: 2, rejected: 1, invalid: 2, dead: 3 });

    const dead = await drainQueue(ch, r.deadQueue);
    const byStage = (stage: string) => dead.filter((m) => m.properties.headers?.[DEAD_HEADERS.stage] === stage);
    const [rejected] = byStage('rejected');
    assert.ok(rejected, 'the update Odoo rejected is in the dead-letter queue');
    assert.equal(rejected.properties.messageId, k('unknown-product'), 'original properties kept');
    assert.equal(rejected.properties.type, 'pick.confirmed');
    assert.equal(rejected.properties.appId, 'logistics-bridge-gateway');
    assert.equal(rejected.properties.headers?.['adapter-id'], 'test-adapter');
    assert.match(String(rejected.properties.headers?.[DEAD_HEADERS.reason]), /product/i);
    assert.deepEqual(JSON.parse(rejected.content.toString()), unknownProduct, 'body unchanged');
    const schema = byStage('schema');
    assert.equal(schema.length, 2);
    const sscc = schema.find((m) => m.properties.messageId === k('bad-sscc'));
    assert.equal(sscc?.properties.headers?.[DEAD_HEADERS.reason], 'payload.sscc: SSCC check digit is wrong');
    assert.equal(sscc?.properties.headers?.[DEAD_HEADERS.path], 'payload.sscc');
    const truncated = schema.find((m) => m.properties.messageId === undefined);
    assert.match(String(truncated?.properties.headers?.[DEAD_HEADERS.reason]), /^body is not JSON/);
    assert.equal(truncated?.content.toString(), '{"idempotency_key": "truncated');
  });

  it('keeps applying across an Odoo crash and restart: every update applied once, nothing dead', async function () {
    const t = odooTarget();
    if (!t.crashAndRestart) this.skip();
    const prefix = `test.applier.crash.${run}.`;
    queues.push(`${prefix}logistics.updates`, `${prefix}logistics.updates.dead`);
    const barcode = `21${String(Date.now()).slice(-11)}`;
    const pk = await picking(`crash-${run}`, barcode, 2);
    const keys: string[] = [];
    const status = (i: number) => {
      const key = `applier-${run}:crash:${i}`;
      keys.push(key);
      return update(key, 'device.status', { status: i % 2 ? 'online' : 'offline' }, { device_id: `crash-dev-${run}-${i % 7}` });
    };
    const first = Array.from({ length: 1000 }, (_, i) => status(i));
    const pickKey = `applier-${run}:crash:pick`;
    keys.push(pickKey);
    first.splice(500, 0, update(pickKey, 'pick.confirmed', { picking: { id: pk.id }, lines: [{ product: { barcode }, quantity: 2 }] }));
    await publishUpdates(ch, `${prefix}logistics.updates`, first);

    running = await startApplier(t, prefix, { batchSize: 20, lingerMs: 5, batchRetryDelay: () => 300 });
    const r = running;
    await until('the first batches applied', async () => (await inbox(keys)).length > 0, 60_000, 50);
    await t.crashAndRestart?.();
    // More updates while Odoo comes back.
    await publishUpdates(ch, r.queue, Array.from({ length: 200 }, (_, i) => status(1000 + i)));
    await until('every update applied', async () => (await ch.checkQueue(r.queue)).messageCount === 0 && (await inbox(keys)).length === keys.length, 240_000, 500);

    const rows = await inbox(keys);
    assert.equal(rows.length, keys.length, 'one inbox row per key');
    assert.equal(new Set(rows.map((x) => x.idempotency_key)).size, keys.length);
    assert.deepEqual([...new Set(rows.map((x) => x.state))], ['applied']);
    const moves = await fx.searchRead<{ quantity: number }>('stock.move', [['picking_id', '=', pk.id]], ['quantity']);
    assert.deepEqual(moves.map((m) => m.quantity), [2]);
    assert.equal((await ch.checkQueue(r.deadQueue)).messageCount, 0, 'an outage is not a reason to dead-letter');
    const failures = (await r.metrics.batchFailures.get()).values.reduce((n, v) => n + v.value, 0);
    assert.ok(failures > 0, 'the outage was seen (the crash hit while updates flowed)');
  });

  it('drains on abort: the batches in flight are applied and acked, the rest goes back to the queue unapplied', async () => {
    const prefix = `test.applier.drain.${run}.`;
    queues.push(`${prefix}logistics.updates`, `${prefix}logistics.updates.dead`);
    const keys = Array.from({ length: 1000 }, (_, i) => `applier-${run}:drain:${i}`);
    await publishUpdates(ch, `${prefix}logistics.updates`, keys.map((key, i) => update(key, 'device.status', { status: 'online' }, { device_id: `drain-dev-${i % 40}` })));
    running = await startApplier(odooTarget(), prefix, { batchSize: 50, lingerMs: 5, concurrency: 2 });
    const r = running;
    await until('the first batches applied', async () => (await inbox(keys)).length > 0, 60_000, 20);
    await r.stop();
    running = undefined;
    const applied = (await inbox(keys)).length;
    const left = (await ch.checkQueue(r.queue)).messageCount;
    assert.ok(applied < keys.length, 'stopped mid-stream');
    // Nothing lost: every update is applied or back in the queue. An ack the broker drops at the close
    // (seen with RabbitMQ 3.10 quorum queues) only brings an applied update back, answered `duplicate`.
    assert.ok(applied + left >= keys.length, `lost updates: ${applied} applied + ${left} queued < ${keys.length}`);

    // A new applier finishes the rest: nothing applied twice, nothing lost.
    running = await startApplier(odooTarget(), prefix, { batchSize: 200 });
    const again = running;
    await until('the rest applied', async () => (await ch.checkQueue(again.queue)).messageCount === 0 && (await inbox(keys)).length === keys.length, 120_000, 200);
    const counts = Object.fromEntries((await again.metrics.updates.get()).values.map((v) => [String(v.labels.outcome), v.value]));
    assert.equal(counts.applied, keys.length - applied, 'the rest applied once');
    assert.equal(counts.duplicate ?? 0, left - (keys.length - applied), 'redelivered applied updates changed nothing');
  });
});
