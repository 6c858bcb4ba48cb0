import assert from 'node:assert/strict';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { connect, type AdapterClient } from '@logistics-bridge/adapter-sdk';
import { declareQueue, updatesQueue } from '../../sidecar/src/broker';
import { createLogger } from '../../sidecar/src/telemetry';
import { OdooFixtures } from '../../tools/fixtures';
import { odooTarget } from '../odoo/hooks';
import { AMQP_URL } from '../support/env';
import { freePort } from '../support/odoo';
import { pollJson, sidecarEnv, startSidecar, type SidecarProcess } from '../support/sidecar';

/**
 * The whole chain with the real sidecar process: business changes in Odoo reach a consumer of
 * `logistics.events`, and a device's update travels adapter SDK → gRPC gateway → `logistics.updates` →
 * the sidecar's applier → the addon's apply API, whose effect in Odoo is published back as an event.
 */
const TOKEN = 'e2e-token-0123456789';
const ADAPTER = 'e2e-scanners';

describe('e2e: Odoo ⇄ sidecar ⇄ RabbitMQ ⇄ device adapter', function () {
  this.timeout(180_000);
  let sidecar: SidecarProcess;
  let fx: OdooFixtures;
  let conn: ChannelModel;
  let ch: Channel;
  let adapter: AdapterClient | undefined;
  let grpcAddress = '';
  let httpPort = 0;
  const events: ConsumeMessage[] = [];

  before(async () => {
    const t = odooTarget();
    fx = await OdooFixtures.connect({ url: t.url, db: t.db, login: t.admin.login, password: t.admin.secret });
    httpPort = await freePort();
    grpcAddress = `127.0.0.1:${await freePort()}`;
    conn = await amqp.connect(AMQP_URL);
    ch = await conn.createChannel();
    // Updates left by an earlier run are not this run's.
    await declareQueue(conn, updatesQueue(), createLogger('error')); // as the sidecar declares it
    await ch.purgeQueue('logistics.updates');
    sidecar = startSidecar(sidecarEnv(t, {
      HTTP_LISTEN: `127.0.0.1:${httpPort}`,
      GRPC_LISTEN: grpcAddress,
      RELAY_WORKER_ID: `e2e-${process.pid}`,
      GATEWAY_TOKENS: JSON.stringify({ [ADAPTER]: { token: TOKEN, family: 'barcode', devices: ['*'], ratePerSecond: 1000 } }),
      LOG_LEVEL: 'warn',
    }));
    const ready = await pollJson(`http://127.0.0.1:${httpPort}/readyz`, (s) => s === 200, 60_000);
    assert.equal(ready.status, 200, `sidecar not ready: ${JSON.stringify(ready.body)}\n${sidecar.output()}`);
    await ch.checkExchange('logistics.events'); // declared by the sidecar's relay
    const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
    await ch.bindQueue(queue, 'logistics.events', '#');
    await ch.consume(queue, (m) => m && events.push(m), { noAck: true });
  });

  after(async () => {
    await adapter?.close().catch(() => undefined);
    if (sidecar && sidecar.child.exitCode === null) {
      sidecar.child.kill('SIGTERM');
      await sidecar.exited;
    }
    await conn?.close().catch(() => undefined);
  });

  async function waitForEvent(pred: (m: ConsumeMessage) => boolean, what: string, timeoutMs = 30_000): Promise<ConsumeMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = events.find(pred);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; got ${events.map((e) => e.properties.type).join(', ')}\n${sidecar.output().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The sidecar's /metrics value of a series with these labels (0 when absent). */
  async function metric(name: string, labels: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  /** Waits until the sidecar's applier has put the update with `key` into Odoo's inbox; returns its row. */
  async function applied(key: string, timeoutMs = 30_000): Promise<{ state: string; reason: string | false }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await fx.searchRead<{ state: string; reason: string | false }>('logistics.bridge.update', [['idempotency_key', '=', key]], ['state', 'reason']);
      if (rows.length > 1) assert.fail(`${rows.length} inbox rows for ${key}`);
      if (rows[0]) return rows[0];
      if (Date.now() > deadline) throw new Error(`update ${key} not applied within ${timeoutMs} ms\n${sidecar.output().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('publishes a confirmed sale order and its released picking with the message contract', async () => {
    const product = await fx.product({ name: 'E2E widget', barcode: '4006381333931', defaultCode: 'E2E-1' });
    await fx.setStock(product, 20);
    const customer = await fx.partner('E2E customer');
    const so = await fx.saleOrder(customer, [{ productId: product, quantity: 2 }]);
    const confirmed = await waitForEvent((m) => m.properties.type === 'sale.order.confirmed' && m.content.toString().includes(so.name), 'sale.order.confirmed');
    const ready = await waitForEvent((m) => m.properties.type === 'stock.picking.ready' && m.properties.correlationId === confirmed.properties.correlationId, 'stock.picking.ready');
    for (const m of [confirmed, ready]) {
      assert.match(String(m.properties.messageId), /^[0-9a-f-]{36}$/);
      assert.equal(m.properties.deliveryMode, 2, 'persistent');
      assert.equal(m.properties.contentType, 'application/json');
      assert.ok(m.properties.appId);
      assert.equal(typeof m.properties.timestamp, 'number');
      assert.equal(m.properties.headers?.['x-odoo-database'], odooTarget().db);
      assert.ok(m.properties.headers?.['x-schema-version']);
      assert.match(String(m.properties.headers?.['x-aggregate-key']), /^(sale\.order|stock\.picking):\d+$/);
      assert.equal(m.fields.routingKey, m.properties.type);
    }
    assert.ok(events.indexOf(confirmed) < events.indexOf(ready));
  });

  it('carries a device pick and dispatch back into Odoo exactly once, and Odoo publishes the shipment', async () => {
    const product = await fx.product({ name: 'E2E gadget', barcode: '4006381333948', defaultCode: 'E2E-2' });
    await fx.setStock(product, 20);
    const customer = await fx.partner('E2E customer 2');
    const so = await fx.saleOrder(customer, [{ productId: product, quantity: 3 }]);
    const pickingId = so.pickingIds[0] ?? 0;
    const [picking] = await fx.searchRead<{ name: string }>('stock.picking', [['id', '=', pickingId]], ['name']);
    assert.ok(picking);

    adapter = await connect({ address: grpcAddress, token: TOKEN, family: 'barcode', adapterId: ADAPTER });
    const rejects: string[] = [];
    adapter.on('reject', (r) => rejects.push(`${r.status} ${r.fieldPath}: ${r.message}`));
    await adapter.sendUpdate('scanner-7', 'pick.confirmed', { picking: { name: picking.name }, lines: [{ product: { barcode: '4006381333948' }, quantity: 3 }] }, {
      idempotencyKey: `e2e:${picking.name}:pick`,
      correlationId: so.name,
    });
    await adapter.flush(20_000).catch((err: unknown) => assert.fail(`not acknowledged: ${String(err)}; rejects: ${rejects.join('; ')}`));
    // The sidecar's own applier takes it from logistics.updates into Odoo.
    const pick = await applied(`e2e:${picking.name}:pick`);
    assert.equal(pick.state, 'applied', JSON.stringify(pick));

    // The same update again (an adapter replay after a reconnect): Odoo answers duplicate, nothing changes.
    const duplicatesBefore = await metric('logistics_bridge_applier_updates_total', 'outcome="duplicate"');
    await adapter.sendUpdate('scanner-7', 'pick.confirmed', { picking: { name: picking.name }, lines: [{ product: { barcode: '4006381333948' }, quantity: 3 }] }, {
      idempotencyKey: `e2e:${picking.name}:pick`,
      correlationId: so.name,
    });
    await adapter.flush(20_000).catch((err: unknown) => assert.fail(`not acknowledged: ${String(err)}; rejects: ${rejects.join('; ')}`));
    const deadline = Date.now() + 30_000;
    while ((await metric('logistics_bridge_applier_updates_total', 'outcome="duplicate"')) <= duplicatesBefore) {
      if (Date.now() > deadline) assert.fail(`the replayed update was not answered duplicate\n${sidecar.output().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await applied(`e2e:${picking.name}:pick`)).state, 'applied', 'a replayed update must not change Odoo twice');
    const moves = await fx.searchRead<{ quantity: number; picked: boolean }>('stock.move', [['picking_id', '=', pickingId]], ['quantity', 'picked']);
    assert.deepEqual(moves.map((m) => [m.quantity, m.picked]), [[3, true]]);

    await adapter.sendUpdate('scanner-7', 'shipment.dispatched', { picking: { name: picking.name } }, { idempotencyKey: `e2e:${picking.name}:dispatch`, correlationId: so.name });
    await adapter.flush(20_000).catch((err: unknown) => assert.fail(`not acknowledged: ${String(err)}; rejects: ${rejects.join('; ')}`));
    const dispatched = await applied(`e2e:${picking.name}:dispatch`);
    assert.equal(dispatched.state, 'applied', JSON.stringify(dispatched));
    assert.equal(await fx.pickingState(pickingId), 'done');
    await waitForEvent((m) => m.properties.type === 'stock.picking.done' && m.properties.headers?.['x-aggregate-key'] === `stock.picking:${pickingId}`, 'stock.picking.done');
  });
});
