import assert from 'node:assert/strict';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { Broker, DeadLetterQueue } from '../../sidecar/src/broker';
import { runDead } from '../../sidecar/src/cli/dead';
import { doctorChecks, formatDoctor, readiness } from '../../sidecar/src/health';
import { OdooClient } from '../../sidecar/src/odoo';
import { createLogger } from '../../sidecar/src/telemetry';
import { OdooFixtures } from '../../tools/fixtures';
import { publishUpdates, startApplier, until, update, type RunningApplier } from '../support/applier';
import { AMQP_URL } from '../support/env';
import { seriesOf } from '../support/odoo';
import { odooTarget } from './hooks';

/**
 * The operator's and the integration manager's side against the real Odoo: a rejected update fixed in
 * Odoo and replayed with `logistics-bridge dead replay`, or retried from Odoo's Dead letters screen,
 * applies once; `doctor` on the real service user and addon.
 */
describe('dead replay and doctor (odoo)', function () {
  this.timeout(300_000);
  const log = createLogger('error');
  const run = `${process.pid}-${Date.now()}`;
  let fx: OdooFixtures;
  let conn: ChannelModel;
  let ch: Channel;
  let running: RunningApplier | undefined;
  const queues: string[] = [];

  before(async () => {
    const t = odooTarget();
    fx = await OdooFixtures.connect({ url: t.url, db: t.db, login: t.admin.login, password: t.admin.secret });
    conn = await amqp.connect(AMQP_URL);
    ch = await conn.createChannel();
  });
  after(async () => {
    await running?.stop();
    for (const q of queues) await ch.deleteQueue(q).catch(() => undefined);
    await conn?.close().catch(() => undefined);
  });

  it('a rejected update (unknown barcode), fixed in Odoo and replayed by id, applies once; a doubled replay is a duplicate', async () => {
    const prefix = `test.deadreplay.${run}.`;
    queues.push(`${prefix}logistics.updates`, `${prefix}logistics.updates.dead`);
    const known = `21${String(Date.now()).slice(-11)}`;
    const missing = `22${String(Date.now()).slice(-11)}`;
    const product = await fx.product({ name: `Replay ${run}`, barcode: known, defaultCode: `REPLAY-${run}` });
    await fx.setStock(product, 30);
    const so = await fx.saleOrder(await fx.partner(`Replay customer ${run}`), [{ productId: product, quantity: 3 }]);
    const pickingId = so.pickingIds[0] ?? 0;
    const [pk] = await fx.searchRead<{ name: string }>('stock.picking', [['id', '=', pickingId]], ['name']);
    const key = `replay-${run}:pick`;
    const pick = update(key, 'pick.confirmed', { picking: { name: pk?.name ?? '' }, lines: [{ product: { barcode: missing }, quantity: 3 }] });
    await publishUpdates(ch, `${prefix}logistics.updates`, [pick]);
    running = await startApplier(odooTarget(), prefix, { batchSize: 10, lingerMs: 20 });
    const r = running;
    await until('the rejected update dead-lettered', async () => (await ch.checkQueue(r.deadQueue)).messageCount === 1);

    const broker = await Broker.connect({ url: AMQP_URL }, log);
    try {
      const dlq = new DeadLetterQueue(broker.model, r.deadQueue, log);
      const [dead] = (await dlq.list(10)).letters;
      assert.equal(dead?.id, key);
      assert.equal(dead?.stage, 'rejected');
      assert.match(dead?.reason ?? '', new RegExp(missing));

      // The fix, in Odoo: the product gets the barcode the scanner read.
      await fx.call('product.product', 'write', [[product], { barcode: missing }]);
      const chunks: string[] = [];
      const out = new (await import('node:stream')).Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) });
      assert.equal(await runDead({ kind: 'dead-replay', queue: r.deadQueue, select: { ids: [key] }, dryRun: false }, dlq, new AbortController().signal, out), 0);
      assert.match(chunks.join(''), /replayed 1 \(1 to test\.deadreplay\.[\w.-]+logistics\.updates\), 0 not selected, 0 failed/);
      const applied = async () => (await fx.searchRead<{ state: string }>('logistics.bridge.update', [['idempotency_key', '=', key]], ['state'])).map((x) => x.state);
      await until('the replayed update applied', async () => (await applied()).includes('applied'));

      // The same message once more, as an interrupted replay may leave it: Odoo answers duplicate.
      await publishUpdates(ch, r.queue, [pick]);
      await until('the double settled', async () => (await r.metrics.updates.get()).values.some((v) => v.labels.outcome === 'duplicate' && v.value >= 1));
      const moves = await fx.searchRead<{ quantity: number; picked: boolean }>('stock.move', [['picking_id', '=', pickingId]], ['quantity', 'picked']);
      assert.deepEqual(moves.map((m) => [m.quantity, m.picked]), [[3, true]], 'picked once');
      assert.equal((await applied()).filter((s) => s === 'applied').length, 1);
      assert.equal((await ch.checkQueue(r.deadQueue)).messageCount, 0);
      // Odoo's Dead letters list had it (the applier recorded it); the replay closed it.
      const letters = await fx.searchRead<{ id: number; is_open: boolean; stage: string }>('logistics.bridge.dead.letter', [['key', '=', key]], ['is_open', 'stage']);
      assert.deepEqual(letters, [{ id: letters[0]?.id, is_open: false, stage: 'rejected' }]);
    } finally {
      await broker.close();
    }
  });

  it('a rejected update (unknown barcode) shows in Odoo\'s Dead letters, fixed in Odoo and retried there by an integration manager applies once; the CLI replay of its dead copy is a duplicate', async () => {
    const prefix = `test.deadretry.${run}.`;
    queues.push(`${prefix}logistics.updates`, `${prefix}logistics.updates.dead`);
    const known = `23${String(Date.now()).slice(-11)}`;
    const missing = `24${String(Date.now()).slice(-11)}`;
    const product = await fx.product({ name: `Retry ${run}`, barcode: known, defaultCode: `RETRY-${run}` });
    await fx.setStock(product, 30);
    const so = await fx.saleOrder(await fx.partner(`Retry customer ${run}`), [{ productId: product, quantity: 2 }]);
    const pickingId = so.pickingIds[0] ?? 0;
    const [pk] = await fx.searchRead<{ name: string }>('stock.picking', [['id', '=', pickingId]], ['name']);
    const key = `retry-${run}:pick`;
    const pick = update(key, 'pick.confirmed', { picking: { name: pk?.name ?? '' }, lines: [{ product: { barcode: missing }, quantity: 2 }] });
    await publishUpdates(ch, `${prefix}logistics.updates`, [pick]);
    await running?.stop();
    running = await startApplier(odooTarget(), prefix, { batchSize: 10, lingerMs: 20 });
    const r = running;
    await until('the rejected update dead-lettered', async () => (await ch.checkQueue(r.deadQueue)).messageCount === 1);

    type Letter = { id: number; direction: string; stage: string; reason: string; payload_pretty: string; is_open: boolean; attempts: number; retried_by_id: [number, string] | false };
    const letter = async () => (await fx.searchRead<Letter>('logistics.bridge.dead.letter', [['key', '=', key]], ['direction', 'stage', 'reason', 'payload_pretty', 'is_open', 'attempts', 'retried_by_id']))[0];
    await until('the applier recorded the dead letter in Odoo', async () => ((await letter())?.attempts ?? 0) >= 1);
    const shown = (await letter()) as Letter;
    assert.equal(shown.direction, 'inbound');
    assert.equal(shown.stage, 'rejected');
    assert.match(shown.reason, new RegExp(missing));
    assert.match(shown.payload_pretty, new RegExp(`\n {6}"product": \\{\n {8}"barcode": "${missing}"`));

    // An integration manager, over RPC as the form's button calls it.
    const login = `lb-manager-${run}`;
    const [group] = await fx.searchRead<{ res_id: number }>('ir.model.data', [['module', '=', 'logistics_bridge'], ['name', '=', 'logistics_bridge_group_manager']], ['res_id']);
    await fx.call('res.users', 'create', [{ name: `Manager ${run}`, login, password: `${login}-pw`, [seriesOf() === 19 ? 'group_ids' : 'groups_id']: [[4, group?.res_id ?? 0]] }]);
    const manager = new OdooClient({ url: odooTarget().url, db: odooTarget().db, login, secret: `${login}-pw`, secretKind: 'password', protocol: 'jsonrpc', timeoutMs: 60_000 });
    const service = new OdooClient({ url: odooTarget().url, db: odooTarget().db, login: odooTarget().service.login, secret: odooTarget().service.secret, timeoutMs: 60_000 });
    const broker = await Broker.connect({ url: AMQP_URL }, log);
    try {
      // Not an integration manager: a readable refusal, nothing happens.
      await assert.rejects(service.executeKw('logistics.bridge.dead.letter', 'action_retry', [[shown.id]]), /Integration manager|not allowed|access/i);
      await fx.call('product.product', 'write', [[product], { barcode: missing }]);
      const answer = (await manager.executeKw('logistics.bridge.dead.letter', 'action_retry', [[shown.id]])) as { params: { type: string } };
      assert.equal(answer.params.type, 'success', JSON.stringify(answer));
      const rows = async () => (await fx.searchRead<{ state: string }>('logistics.bridge.update', [['idempotency_key', '=like', `${key}%`]], ['state'])).map((x) => x.state).sort();
      assert.deepEqual(await rows(), ['applied', 'rejected']);
      const closed = (await letter()) as Letter;
      assert.equal(closed.is_open, false);
      assert.equal(closed.retried_by_id && closed.retried_by_id[1], `Manager ${run}`);
      const again = (await manager.executeKw('logistics.bridge.dead.letter', 'action_retry', [[shown.id]])) as { params: { title: string } };
      assert.equal(again.params.title, 'Retry: duplicate');

      // The dead copy is still in RabbitMQ: replayed from the CLI, Odoo answers duplicate.
      const dlq = new DeadLetterQueue(broker.model, r.deadQueue, log);
      const out = new (await import('node:stream')).Writable({ write: (_c, _e, cb) => cb() });
      assert.equal(await runDead({ kind: 'dead-replay', queue: r.deadQueue, select: { ids: [key] }, dryRun: false }, dlq, new AbortController().signal, out), 0);
      await until('the replayed copy settled as a duplicate', async () => (await r.metrics.updates.get()).values.some((v) => v.labels.outcome === 'duplicate' && v.value >= 1));
      const moves = await fx.searchRead<{ quantity: number; picked: boolean }>('stock.move', [['picking_id', '=', pickingId]], ['quantity', 'picked']);
      assert.deepEqual(moves.map((m) => [m.quantity, m.picked]), [[2, true]], 'picked once');
      assert.deepEqual(await rows(), ['applied', 'rejected']);
      assert.equal((await ch.checkQueue(r.deadQueue)).messageCount, 0);
    } finally {
      manager.close();
      service.close();
      await broker.close();
    }
  });

  it("doctor says ok for the real service user and addon, and names an administrator's excess rights", async () => {
    const t = odooTarget();
    const target = { url: t.url, db: t.db, login: t.service.login, keyWarnDays: 14 };
    const service = new OdooClient({ url: t.url, db: t.db, login: t.service.login, secret: t.service.secret, timeoutMs: 60_000 });
    try {
      const report = await readiness(doctorChecks({ odoo: service, target, topology: async () => [] }), 60_000);
      const text = formatDoctor(Object.entries(report.checks));
      for (const name of ['odoo', 'odoo_login', 'logistics_bridge', 'api_key', 'addon_version', 'rights']) assert.match(text, new RegExp(`^(ok|WARN) +${name} `, 'm'), text);
      assert.match(text, /^ok +rights +\S+: Integration service group, no administrator rights$/m);
    } finally {
      service.close();
    }
    // The administrator as the "service user": it has no Integration service group of its own.
    const admin = new OdooClient({ url: t.url, db: t.db, login: t.admin.login, secret: t.admin.secret, secretKind: 'password', protocol: 'jsonrpc', timeoutMs: 60_000 });
    try {
      const report = await readiness(doctorChecks({ odoo: admin, target: { ...target, login: t.admin.login } }), 60_000);
      assert.equal(report.checks.rights?.ok, false, JSON.stringify(report.checks));
      assert.match(report.checks.rights?.error ?? '', /lacks the group|administrator rights/);
    } finally {
      admin.close();
    }
  });
});
