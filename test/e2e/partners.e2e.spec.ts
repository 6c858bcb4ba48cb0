import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { declareQueue, updatesQueue } from '../../sidecar/src/broker';
import { createLogger } from '../../sidecar/src/telemetry';
import { OdooFixtures } from '../../tools/fixtures';
import { odooTarget } from '../odoo/hooks';
import { AMQP_URL } from '../support/env';
import { freePort } from '../support/odoo';
import { bearer, easyPostEvent, post } from '../support/partners';
import { pollJson, sidecarEnv, startSidecar, type SidecarProcess } from '../support/sidecar';

/**
 * Flow 4 end to end (issue 12, done-when): partners talk to the real sidecar's HTTP door, RabbitMQ makes
 * their updates durable, the sidecar's applier puts them into the real Odoo, and the addon applies them.
 * A WMS acknowledges, picks, packs, labels and dispatches a released picking; EasyPost's tracking webhooks
 * take it through in transit to delivered; a carrier platform adds the proof of delivery; a supplier's
 * advance ship notice is matched against its purchase order.
 */
const RUN = randomBytes(3).toString('hex');
const SECRETS = { wms: `wms-e2e-token-${RUN}-0123456789`, easypost: `easypost-e2e-${RUN}-0123456789`, supplier: `supplier-e2e-${RUN}-0123456789` };
// No check digit format (not S10, not UPS 1Z): unique to this run.
const TRACKING = `LBE2E${RUN.toUpperCase()}77`;
const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

interface InboxRow {
  state: string;
  reason: string | false;
  note: string | false;
}

describe('e2e: partners ⇄ sidecar HTTP door ⇄ RabbitMQ ⇄ Odoo (WMS, carrier platform, supplier)', function () {
  this.timeout(300_000);
  let sidecar: SidecarProcess;
  let fx: OdooFixtures;
  let door = '';

  before(async () => {
    const t = odooTarget();
    fx = await OdooFixtures.connect({ url: t.url, db: t.db, login: t.admin.login, password: t.admin.secret });
    const dir = mkdtempSync(join(tmpdir(), 'lb-partners-e2e-'));
    for (const [name, secret] of Object.entries(SECRETS)) writeFileSync(join(dir, name), `${secret}\n`);
    writeFileSync(
      join(dir, 'partners.json'),
      JSON.stringify({
        'wms-e2e': { scheme: 'bearer', secret_file: join(dir, 'wms') },
        'easypost-e2e': { scheme: 'easypost', secret_file: join(dir, 'easypost'), platform: 'easypost' },
        'supplier-e2e': { scheme: 'bearer', secret_file: join(dir, 'supplier'), types: ['receipt.announced'] },
      }),
    );
    // Updates an earlier run left on the queue are not this run's.
    const conn = await amqp.connect(AMQP_URL);
    await declareQueue(conn, updatesQueue(), createLogger('error'));
    const ch = await conn.createChannel();
    await ch.purgeQueue(updatesQueue().name);
    await conn.close();
    const httpPort = await freePort();
    const partnerPort = await freePort();
    door = `http://127.0.0.1:${partnerPort}`;
    sidecar = startSidecar(
      sidecarEnv(t, {
        HTTP_LISTEN: `127.0.0.1:${httpPort}`,
        GRPC_LISTEN: `127.0.0.1:${await freePort()}`,
        PARTNER_LISTEN: `127.0.0.1:${partnerPort}`,
        PARTNERS_FILE: join(dir, 'partners.json'),
        RELAY_WORKER_ID: `e2e-partners-${process.pid}`,
        GATEWAY_TOKENS: '{}',
        LOG_LEVEL: 'warn',
      }),
    );
    const ready = await pollJson(`http://127.0.0.1:${httpPort}/readyz`, (s) => s === 200, 60_000);
    assert.equal(ready.status, 200, `sidecar not ready: ${JSON.stringify(ready.body)}\n${sidecar.output()}`);
  });

  after(async () => {
    if (sidecar && sidecar.child.exitCode === null) {
      sidecar.child.kill('SIGTERM');
      await sidecar.exited;
    }
  });

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${sidecar.output().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The inbox row of a key once the applier put it into Odoo (exactly one). */
  async function inbox(key: string): Promise<InboxRow> {
    return until(`inbox row ${key}`, async () => {
      const rows = await fx.searchRead<InboxRow>('logistics.bridge.update', [['idempotency_key', '=', key]], ['state', 'reason', 'note']);
      assert.ok(rows.length <= 1, `${rows.length} inbox rows for ${key}`);
      return rows[0];
    });
  }

  /** One update through the batch route, answered 202 (durable in RabbitMQ), then applied in Odoo. */
  async function send(partner: 'wms-e2e' | 'supplier-e2e', key: string, type: string, eventTime: string, payload: unknown): Promise<InboxRow> {
    const token = partner === 'wms-e2e' ? SECRETS.wms : SECRETS.supplier;
    const reply = await post(`${door}/v1/partners/${partner}/updates`, JSON.stringify({ updates: [{ idempotency_key: key, type, event_time: eventTime, payload }] }), bearer(token));
    assert.equal(reply.status, 202, JSON.stringify(reply.body));
    const row = await inbox(`partner:${partner}:${key}`);
    assert.equal(row.state, 'applied', `${type}: ${JSON.stringify(row)}`);
    return row;
  }

  async function webhook(body: string): Promise<string> {
    const signature = createHmac('sha256', SECRETS.easypost).update(body).digest('hex');
    const reply = await post(`${door}/v1/carriers/easypost/webhook`, body, { 'x-hmac-signature': `hmac-sha256-hex=${signature}` });
    assert.equal(reply.status, 202, JSON.stringify(reply.body));
    const [key] = reply.body.keys ?? [];
    assert.ok(key);
    return key;
  }

  async function picking<T>(id: number, fields: string[]): Promise<T> {
    const [row] = await fx.searchRead<T>('stock.picking', [['id', '=', id]], fields);
    assert.ok(row, `picking ${id}`);
    return row;
  }

  it('takes a released picking from the WMS acknowledgement to delivered with its proof of delivery, once', async () => {
    const barcode = `2${Date.now().toString().slice(-11)}`;
    const product = await fx.product({ name: `Partner e2e widget ${RUN}`, barcode, defaultCode: `PE2E-${RUN}` });
    await fx.setStock(product, 10);
    const so = await fx.saleOrder(await fx.partner(`Partner e2e customer ${RUN}`), [{ productId: product, quantity: 2 }]);
    const id = so.pickingIds[0] ?? 0;
    const { name } = await picking<{ name: string }>(id, ['name']);
    const ref = { name };

    await send('wms-e2e', `${name}:ack`, 'order.acknowledged', '2026-12-01T08:00:00Z', { picking: ref, external_ref: `WMS-${RUN}` });
    const acknowledged = await picking<{ lb_automation_state: string; lb_external_ref: string }>(id, ['lb_automation_state', 'lb_external_ref']);
    assert.deepEqual([acknowledged.lb_automation_state, acknowledged.lb_external_ref], ['acknowledged', `WMS-${RUN}`]);
    await send('wms-e2e', `${name}:pick`, 'pick.confirmed', '2026-12-01T08:10:00Z', { picking: ref, lines: [{ product: { barcode }, quantity: 2 }] });
    await send('wms-e2e', `${name}:pack`, 'pack.completed', '2026-12-01T08:20:00Z', { picking: ref, sscc: '106141411234567897' });
    await send('wms-e2e', `${name}:label`, 'shipment.labelled', '2026-12-01T08:25:00Z', { picking: ref, carrier: 'USPS', tracking_number: TRACKING });
    await send('wms-e2e', `${name}:ship`, 'shipment.dispatched', '2026-12-01T08:30:00Z', { picking: ref });
    assert.equal(await fx.pickingState(id), 'done');

    const tracker = (status: string, at: string, extra: Record<string, unknown> = {}) => JSON.stringify(easyPostEvent(status, at, { tracking_code: TRACKING, carrier: 'USPS', ...extra }));
    await inbox(await webhook(tracker('in_transit', '2026-12-01T12:00:00Z')));
    let row = await picking<{ lb_delivery_state: string; lb_delivery_location: string }>(id, ['lb_delivery_state', 'lb_delivery_location']);
    assert.deepEqual([row.lb_delivery_state, row.lb_delivery_location], ['in_transit', 'Reno, NV, US']);
    await inbox(await webhook(tracker('out_for_delivery', '2026-12-02T07:00:00Z')));

    // The delivery webhook sent three times (platform retries): one key, one inbox row, one effect.
    const delivered = tracker('delivered', '2026-12-02T10:30:00Z', { signed_by: 'J. Doe' });
    const keys = [await webhook(delivered), await webhook(delivered), await webhook(delivered)];
    assert.equal(new Set(keys).size, 1, `one idempotency key: ${keys.join(', ')}`);
    assert.equal((await inbox(keys[0] ?? '')).state, 'applied');
    // The carrier platform's proof: the signature image, sent on the batch route after the webhook.
    const pod = await send('wms-e2e', `${name}:pod`, 'shipment.delivered', '2026-12-02T10:31:00Z', {
      tracking_number: TRACKING,
      carrier: 'USPS',
      delivered_at: '2026-12-02T10:30:00Z',
      received_by: 'someone else',
      signature: { content_type: 'image/png', data_base64: PNG_1PX },
    });
    assert.match(String(pod.note), /delivered after delivered: state kept/);
    // A late in-transit scan changes nothing either.
    await inbox(await webhook(tracker('in_transit', '2026-12-02T06:00:00Z')));

    const done = await picking<{ state: string; lb_automation_state: string; lb_delivery_state: string; lb_delivered_at: string; lb_received_by: string; lb_pod_attachment_ids: number[]; carrier_tracking_ref: string }>(id, [
      'state', 'lb_automation_state', 'lb_delivery_state', 'lb_delivered_at', 'lb_received_by', 'lb_pod_attachment_ids', 'carrier_tracking_ref',
    ]);
    assert.deepEqual([done.state, done.lb_automation_state, done.lb_delivery_state], ['done', 'shipped', 'delivered']);
    assert.equal(done.lb_delivered_at, '2026-12-02 10:30:00');
    assert.equal(done.lb_received_by, 'J. Doe', 'the first proof stands');
    assert.equal(done.lb_pod_attachment_ids.length, 1, 'the signature is on the picking');
    const [attachment] = await fx.searchRead<{ res_model: string; res_id: number; mimetype: string }>('ir.attachment', [['id', 'in', done.lb_pod_attachment_ids]], ['res_model', 'res_id', 'mimetype']);
    assert.deepEqual(attachment, { id: done.lb_pod_attachment_ids[0], res_model: 'stock.picking', res_id: id, mimetype: 'image/png' });
    const [order] = await fx.searchRead<{ lb_automation_state: string; lb_delivery_state: string }>('sale.order', [['id', '=', so.id]], ['lb_automation_state', 'lb_delivery_state']);
    assert.deepEqual([order?.lb_automation_state, order?.lb_delivery_state], ['shipped', 'delivered']);
    const rows = await fx.searchRead<{ idempotency_key: string }>('logistics.bridge.update', [['picking_id', '=', id]], ['idempotency_key']);
    assert.equal(rows.length, 10, `one inbox row per distinct update: ${rows.map((r) => r.idempotency_key).join(', ')}`);
  });

  it('shows an over-delivered and an unknown line of an advance ship notice on the receipt and as an activity', async () => {
    const widget = await fx.product({ name: `ASN e2e widget ${RUN}`, defaultCode: `AE2E-W-${RUN}` });
    const gadget = await fx.product({ name: `ASN e2e gadget ${RUN}`, defaultCode: `AE2E-G-${RUN}` });
    const po = await fx.purchaseOrder(await fx.partner(`ASN e2e supplier ${RUN}`), [
      { productId: widget, quantity: 10 },
      { productId: gadget, quantity: 4 },
    ]);
    const receipt = po.pickingIds[0] ?? 0;
    await send('supplier-e2e', `DESADV-${RUN}`, 'receipt.announced', '2026-12-01T16:00:00+01:00', {
      purchase_order: { name: po.name },
      asn_ref: `DESADV-${RUN}`,
      expected_date: '2026-12-03',
      lines: [
        { product: { default_code: `AE2E-W-${RUN}` }, quantity: 12, ssccs: ['376104250021234569'] },
        { product: { default_code: `AE2E-G-${RUN}` }, quantity: 4 },
        { product: { default_code: `NOT-IN-ODOO-${RUN}` }, quantity: 3 },
      ],
    });
    const [r] = await fx.searchRead<{ lb_asn_ref: string; lb_discrepancy_ids: number[]; activity_ids: number[] }>('stock.picking', [['id', '=', receipt]], ['lb_asn_ref', 'lb_discrepancy_ids', 'activity_ids']);
    assert.equal(r?.lb_asn_ref, `DESADV-${RUN}`);
    const found = await fx.searchRead<{ kind: string; name: string }>('logistics.bridge.discrepancy', [['picking_id', '=', receipt]], ['kind', 'name']);
    assert.deepEqual(found.map((d) => d.kind).sort(), ['over', 'unknown_product']);
    assert.ok(found.some((d) => d.name === `[AE2E-W-${RUN}] ASN e2e widget ${RUN}: 12 announced, 10 expected (more)`), JSON.stringify(found));
    const activities = await fx.searchRead<{ summary: string; note: string }>('mail.activity', [['res_model', '=', 'stock.picking'], ['res_id', '=', receipt]], ['summary', 'note']);
    assert.equal(activities.length, 1, JSON.stringify(activities));
    assert.match(activities[0]?.summary ?? '', new RegExp(`DESADV-${RUN}`));
    assert.match(activities[0]?.note ?? '', /12 announced, 10 expected/);
    assert.match(activities[0]?.note ?? '', new RegExp(`NOT-IN-ODOO-${RUN}.*3 announced, no such product in Odoo`));
  });
});
