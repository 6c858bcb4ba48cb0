import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { readQueue } from '../support/gateway';
import { AMQP_URL } from '../support/env';
import { bearer, easyPostEvent, hmacHeaders, post, SECRETS, startDoor, type DoorFixture, type Reply } from '../support/partners';
import { TcpProxy } from '../support/tcp-proxy';

const easyPostSig = (body: string) => ({ 'x-hmac-signature': `hmac-sha256-hex=${createHmac('sha256', SECRETS.easypost).update(body).digest('hex')}` });
const PNG = Buffer.from('\x89PNG\r\n\x1a\n-signature-').toString('base64');
const item = (key: string, type: string, payload: unknown, eventTime = '2026-12-01T10:00:00+01:00') => ({ idempotency_key: key, type, correlation_id: 'WH/OUT/00042', event_time: eventTime, payload });
const ALL_TYPES = [
  item('ack-1', 'order.acknowledged', { picking: { name: 'WH/OUT/00042' }, external_ref: 'WMS-778' }),
  item('ref-1', 'order.refused', { picking: { name: 'WH/OUT/00043' }, reason: 'SKU W-9 unknown', code: 'E_SKU' }),
  item('trk-1', 'shipment.tracking', { picking: { name: 'WH/OUT/00042' }, tracking_number: '1Z999AA10123456784', carrier: 'ups', status: 'out_for_delivery', carrier_status: 'OFD', location: 'Lyon, FR' }),
  item('pod-1', 'shipment.delivered', { picking: { name: 'WH/OUT/00042' }, delivered_at: '2026-12-01T11:58:00+01:00', received_by: 'J. Doe', signature: { content_type: 'image/png', data_base64: PNG } }),
  item('asn-1', 'receipt.announced', { purchase_order: { name: 'P00017' }, asn_ref: 'DESADV-9001', expected_date: '2026-12-03', lines: [{ product: { default_code: 'W-1' }, quantity: 10, lots: ['L-1'], ssccs: ['376104250021234569'] }] }),
];

describe('partner HTTP door (real RabbitMQ)', function () {
  let fx: DoorFixture;
  beforeEach(async () => {
    fx = await startDoor({ maxBodyBytes: 64 * 1024 });
  });
  afterEach(async () => {
    await fx.stop();
  });
  const updates = (partner: string) => `${fx.url}/v1/partners/${partner}/updates`;

  it('answers 202 for a batch of every partner type only once each is on logistics.updates, in the documented message contract', async () => {
    const r = await post(updates('wms-acme'), JSON.stringify({ updates: ALL_TYPES }), bearer(SECRETS.wms));
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual(r.body.keys, ALL_TYPES.map((u) => `partner:wms-acme:${u.idempotency_key}`));
    const q = await readQueue(fx.queue, 5);
    assert.deepEqual(q.map((m) => m.properties.messageId).sort(), [...(r.body.keys ?? [])].sort());
    const pod = q.find((m) => m.body.type === 'shipment.delivered');
    assert.ok(pod);
    assert.equal(pod.properties.appId, 'logistics-bridge-partners');
    assert.equal(pod.properties.deliveryMode, 2);
    assert.equal(pod.properties.headers?.['adapter-id'], 'partner:wms-acme');
    assert.deepEqual(pod.body, {
      idempotency_key: 'partner:wms-acme:pod-1',
      type: 'shipment.delivered',
      adapter_id: 'partner:wms-acme',
      device_id: 'wms-acme',
      correlation_id: 'WH/OUT/00042',
      event_time: '2026-12-01T09:00:00.000Z',
      payload: ALL_TYPES[3]!.payload,
    });
  });

  it('refuses a bad tracking number with 422 and its path, and publishes nothing of that request', async () => {
    const bad = item('trk-2', 'shipment.tracking', { tracking_number: 'RA473124820GB', carrier: 'la-poste', status: 'in_transit', carrier_status: 'T' });
    const r = await post(updates('wms-acme'), JSON.stringify({ updates: [ALL_TYPES[0], bad] }), bearer(SECRETS.wms));
    assert.equal(r.status, 422);
    assert.deepEqual(r.body, { error: 'UPU S10 check digit is wrong', path: 'updates[1].payload.tracking_number' });
    const ok = await post(updates('wms-acme'), JSON.stringify({ updates: [ALL_TYPES[1]] }), bearer(SECRETS.wms));
    assert.equal(ok.status, 202);
    const q = await readQueue(fx.queue, 1);
    assert.deepEqual(q.map((m) => m.properties.messageId), ['partner:wms-acme:ref-1'], 'only the later good request is durable');
  });

  it('answers each kind of bad request with its status and reason, never a 500, and leaves nothing behind', async () => {
    const body = JSON.stringify({ updates: [ALL_TYPES[4]] });
    const cases: Array<[string, Promise<Reply>, number, RegExp, string?]> = [
      ['no token', post(updates('wms-acme'), body), 401, /Bearer/],
      ['wrong token', post(updates('wms-acme'), body, bearer('not-the-token-0123456789')), 401, /refused/],
      ['bad signature', post(updates('supplier-7'), body, { ...hmacHeaders(SECRETS.asn, body), 'x-bridge-signature': 'v1=00' }), 401, /does not match/],
      ['stale timestamp', post(updates('supplier-7'), body, hmacHeaders(SECRETS.asn, body, Date.now() - 301_000)), 401, /replay window/],
      ['unknown partner', post(updates('nobody'), body, bearer(SECRETS.wms)), 404, /unknown partner nobody/],
      ['unknown platform', post(`${fx.url}/v1/carriers/pigeon/webhook`, body), 404, /unknown carrier platform/],
      ['malformed partner id', post(`${fx.url}/v1/partners/%E0%A4%A/updates`, body), 404, /malformed percent-encoding/],
      ['webhook partner on the batch route', post(updates('easypost'), body, easyPostSig(body)), 403, /may not use the updates route/],
      ['type not allowed', post(updates('supplier-7'), JSON.stringify({ updates: [ALL_TYPES[0]] }), hmacHeaders(SECRETS.asn, JSON.stringify({ updates: [ALL_TYPES[0]] }))), 403, /may not send order.acknowledged/, 'updates[0].type'],
      ['not JSON', post(updates('wms-acme'), '{"updates": [', bearer(SECRETS.wms)), 400, /not JSON/, '(body)'],
      ['not a batch', post(updates('wms-acme'), '[1]', bearer(SECRETS.wms)), 422, /expected object/, '(body)'],
      ['unknown field', post(updates('wms-acme'), JSON.stringify({ updates: [{ ...ALL_TYPES[0], adapter_id: 'someone-else' }] }), bearer(SECRETS.wms)), 422, /Unrecognized key/, 'updates[0]'],
      ['unknown type', post(updates('wms-acme'), JSON.stringify({ updates: [item('x', 'parcel.teleported', {})] }), bearer(SECRETS.wms)), 422, /unknown update type/, 'updates[0].type'],
      ['too large', post(updates('wms-acme'), JSON.stringify({ updates: [item('big', 'order.refused', { picking: { id: 1 }, reason: 'x'.repeat(70_000) })] }), bearer(SECRETS.wms)), 413, /over 65536 bytes/],
    ];
    for (const [what, reply, status, error, path] of cases) {
      const r = await reply;
      assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
      assert.match(String(r.body.error), error, what);
      if (path) assert.equal(r.body.path, path, what);
    }
    const signed = await post(updates('supplier-7'), body, hmacHeaders(SECRETS.asn, body));
    assert.equal(signed.status, 202, 'the same body, signed now, passes');
    const q = await readQueue(fx.queue, 1);
    assert.deepEqual(q.map((m) => m.properties.messageId), ['partner:supplier-7:asn-1']);
  });

  it('answers 429 with Retry-After over the partner rate, and other partners are not slowed', async () => {
    const body = JSON.stringify({ updates: [ALL_TYPES[0]] });
    const replies = await Promise.all(Array.from({ length: 6 }, () => post(updates('slow-wms'), body, bearer(SECRETS.slow))));
    const limited = replies.filter((r) => r.status === 429);
    assert.ok(limited.length >= 3, `a burst of 6 over 2 requests/s: ${replies.map((r) => r.status).join(',')}`);
    assert.ok(limited.every((r) => Number(r.headers.get('retry-after')) >= 1));
    assert.equal((await post(updates('wms-acme'), body, bearer(SECRETS.wms))).status, 202);
  });

  it('turns carrier webhooks into shipment.tracking and shipment.delivered; the same webhook three times has one messageId', async () => {
    const transit = JSON.stringify(easyPostEvent('in_transit', '2026-12-01T08:00:00Z'));
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await post(`${fx.url}/v1/carriers/easypost/webhook`, transit, easyPostSig(transit)));
    assert.deepEqual(answers.map((a) => a.status), [202, 202, 202]);
    const delivered = JSON.stringify(easyPostEvent('delivered', '2026-12-02T10:30:00Z', { signed_by: 'J. Doe' }));
    assert.equal((await post(`${fx.url}/v1/carriers/easypost/webhook`, delivered, easyPostSig(delivered))).status, 202);
    const badSig = await post(`${fx.url}/v1/carriers/easypost/webhook`, delivered, easyPostSig(`${delivered} `));
    assert.equal(badSig.status, 401);
    const badNumber = JSON.stringify({ ...easyPostEvent('in_transit', '2026-12-01T08:00:00Z'), result: { ...easyPostEvent('in_transit', '2026-12-01T08:00:00Z').result, tracking_code: 'RA473124820GB' } });
    const refused = await post(`${fx.url}/v1/carriers/easypost/webhook`, badNumber, easyPostSig(badNumber));
    assert.deepEqual([refused.status, refused.body.path], [422, 'result.tracking_code']);

    const q = await readQueue(fx.queue, 4);
    assert.equal(q.length, 4);
    const ids = q.map((m) => m.properties.messageId);
    assert.equal(new Set(ids.slice(0, 3)).size, 1, 'a resent webhook keeps its key: the inbox dedupes');
    assert.match(String(ids[0]), /^carrier:easypost:[0-9a-f]{40}$/);
    assert.equal(q[0]?.body.type, 'shipment.tracking');
    assert.deepEqual(q[0]?.body.payload, { tracking_number: 'RA473124829GB', carrier: 'USPS', status: 'in_transit', carrier_status: 'in_transit', description: 'in_transit scan', location: 'Reno, NV, US' });
    assert.equal(q[3]?.body.type, 'shipment.delivered');
    assert.equal(q[3]?.body.payload.received_by, 'J. Doe');
    assert.equal(q[3]?.body.payload.delivered_at, '2026-12-02T10:30:00Z');
    assert.notEqual(ids[3], ids[0]);
  });

  it('answers 200 without publishing for a platform event that carries no delivery state', async () => {
    const other = JSON.stringify({ ...easyPostEvent('in_transit', '2026-12-01T08:00:00Z'), description: 'batch.created' });
    const r = await post(`${fx.url}/v1/carriers/easypost/webhook`, other, easyPostSig(other));
    assert.equal(r.status, 200);
    assert.match(String(r.body.ignored), /not about tracking/);
    assert.equal((await readQueue(fx.queue, 0, 300)).length, 0);
  });
});

describe('partner HTTP door during a broker outage (real RabbitMQ behind a proxy)', function () {
  this.timeout(60_000);
  it('answers 503 while the broker is unreachable and loses nothing that got 202', async () => {
    const target = new URL(AMQP_URL);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 5672));
    const proxyPort = await proxy.start();
    const viaProxy = new URL(AMQP_URL);
    viaProxy.host = `127.0.0.1:${proxyPort}`;
    const fx = await startDoor({ amqpUrl: viaProxy.toString() });
    const url = `${fx.url}/v1/partners/wms-acme/updates`;
    const accepted: string[] = [];
    const refused: Reply[] = [];
    let n = 0;
    // Five partners send one request after another; the broker goes away under them and comes back.
    const send = async () => {
      const key = `k-${n++}`;
      const r = await post(url, JSON.stringify({ updates: [item(key, 'order.acknowledged', { picking: { name: `WH/OUT/${key}` } }), item(`${key}-b`, 'order.acknowledged', { picking: { id: 1 } })] }), bearer(SECRETS.wms));
      if (r.status === 202) accepted.push(...(r.body.keys ?? []));
      else if (r.status === 503) refused.push(r);
      else assert.fail(`unexpected ${r.status} ${JSON.stringify(r.body)}`);
      return r.status;
    };
    const until = async (what: () => boolean, limitMs: number) => {
      const deadline = Date.now() + limitMs;
      while (!what()) {
        if (Date.now() > deadline) assert.fail('timed out');
        await Promise.all(Array.from({ length: 5 }, send));
      }
    };
    try {
      await until(() => accepted.length >= 20, 10_000);
      proxy.cut();
      const before = refused.length;
      await until(() => refused.length >= before + 10, 10_000);
      proxy.restore();
      const seen = accepted.length;
      await until(() => accepted.length >= seen + 20, 30_000);
      const q = await readQueue(fx.queue, accepted.length, 10_000);
      const onQueue = new Set(q.map((m) => String(m.properties.messageId)));
      assert.deepEqual(accepted.filter((k) => !onQueue.has(k)), [], 'every key answered 202 is durable');
      for (const r of refused) {
        assert.match(String(r.body.error), /broker|connection/);
        assert.equal(r.headers.get('retry-after'), '5');
        for (const k of r.body.durable ?? []) assert.ok(onQueue.has(k), `${k} was reported durable in a 503`);
      }
    } finally {
      await fx.stop();
      await proxy.close();
    }
  });
});
