import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { PARTNER_UPDATE_TYPES } from '@logistics-bridge/contract';
import { Broker, UpdatePublisher } from '../../sidecar/src/broker';
import type { Partner } from '../../sidecar/src/config';
import { PartnerAmqpDoor, PartnerDirectory } from '../../sidecar/src/partners';
import { createLogger } from '../../sidecar/src/telemetry';
import { AMQP_URL } from '../support/env';
import { deleteQueue, readQueue } from '../support/gateway';

const amqpUser = decodeURIComponent(new URL(AMQP_URL).username || 'guest');
const PARTNERS: Partner[] = [{ id: 'wms-amqp', scheme: 'bearer', secret: 'unused-on-amqp-0123456789', ratePerSecond: 1000, routes: ['amqp'], amqpUser, types: PARTNER_UPDATE_TYPES }];
const ack = (key: string, picking = 'WH/OUT/00042') => ({ idempotency_key: key, type: 'order.acknowledged', event_time: '2026-12-01T10:00:00Z', payload: { picking: { name: picking } } });

/** What is on `queue` as it is (dead letters may not be JSON), waiting for `min` messages. */
async function readRaw(queue: string, min: number): Promise<amqp.GetMessage[]> {
  const conn = await amqp.connect(AMQP_URL);
  const out: amqp.GetMessage[] = [];
  try {
    const ch = await conn.createChannel();
    for (const deadline = Date.now() + 5000; out.length < min && Date.now() < deadline; ) {
      const m = await ch.get(queue, { noAck: true });
      if (m) out.push(m);
      else await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await conn.close();
  }
  return out;
}

describe('partner AMQP door (real RabbitMQ)', function () {
  this.timeout(30_000);
  const run = randomBytes(4).toString('hex');
  const exchange = `test.partner.${run}`;
  const queue = `test.partner.${run}.in`;
  const updates = `test.partner.${run}.logistics.updates`;
  let broker: Broker;
  let stop: AbortController;
  let running: Promise<void>;
  let door: PartnerAmqpDoor;

  before(async () => {
    const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'error');
    broker = await Broker.open({ url: AMQP_URL }, log);
    let consumed!: () => void;
    const consuming = new Promise<void>((resolve) => (consumed = resolve));
    const publisher = new UpdatePublisher(broker.model, { queue: updates, window: 64, log, mode: 'wait', appId: 'logistics-bridge-partners' });
    await publisher.declare();
    door = new PartnerAmqpDoor({ source: broker.model, directory: new PartnerDirectory(PARTNERS), publisher, log, exchange, queue, prefetch: 16, onConsuming: () => consumed() });
    stop = new AbortController();
    running = door.run(stop.signal);
    await consuming; // the door declared the exchange, its queue and the binding
  });
  after(async () => {
    stop.abort();
    await running;
    for (const q of [queue, `${queue}.dead`, updates, `${updates}.dead`]) await deleteQueue(q);
    const conn = await amqp.connect(AMQP_URL);
    await (await conn.createChannel()).deleteExchange(exchange);
    await conn.close();
    await broker.close();
  });

  async function publish(messages: Array<{ body: string; userId?: string; routingKey?: string }>): Promise<void> {
    const conn = await amqp.connect(AMQP_URL);
    try {
      const ch = await conn.createConfirmChannel();
      for (const m of messages) ch.publish(exchange, m.routingKey ?? 'order.acknowledged', Buffer.from(m.body), { persistent: true, contentType: 'application/json', ...(m.userId ? { userId: m.userId } : {}) });
      await ch.waitForConfirms();
    } finally {
      await conn.close();
    }
  }

  it('forwards valid updates once, dead-letters invalid ones with reason and path, and loses none of the good ones around them', async () => {
    const bad = { ...ack('bad-1'), payload: { picking: { name: '' } } };
    const badNumber = { idempotency_key: 'bad-2', type: 'shipment.tracking', event_time: '2026-12-01T10:00:00Z', payload: { tracking_number: 'RA473124820GB', carrier: 'x', status: 'in_transit', carrier_status: 'T' } };
    await publish([
      { body: JSON.stringify(ack('a-1')), userId: amqpUser },
      { body: JSON.stringify(bad), userId: amqpUser },
      { body: JSON.stringify(ack('a-2')), userId: amqpUser },
      { body: '{not json', userId: amqpUser },
      { body: JSON.stringify(badNumber), userId: amqpUser, routingKey: 'shipment.tracking' },
      { body: JSON.stringify(ack('a-3')) }, // no user_id: nobody vouches for it
      { body: JSON.stringify(ack('a-4')), userId: amqpUser },
    ]);
    const forwarded = await readQueue(updates, 3);
    assert.deepEqual(forwarded.map((m) => m.properties.messageId).sort(), ['partner:wms-amqp:a-1', 'partner:wms-amqp:a-2', 'partner:wms-amqp:a-4']);
    assert.equal(forwarded[0]?.body.adapter_id, 'partner:wms-amqp');
    assert.equal(forwarded[0]?.properties.appId, 'logistics-bridge-partners');

    const dead = await readRaw(`${queue}.dead`, 4);
    const byPath = Object.fromEntries(dead.map((m) => [String(m.properties.headers?.['x-field-path']), String(m.properties.headers?.['x-reject-reason'])]));
    assert.deepEqual(Object.keys(byPath).sort(), ['(body)', 'payload.picking.name', 'payload.tracking_number', 'properties.user_id']);
    assert.match(byPath['payload.tracking_number'] ?? '', /^payload\.tracking_number: UPU S10 check digit is wrong$/);
    assert.match(byPath['properties.user_id'] ?? '', /user_id is required/);
    assert.equal(dead.find((m) => m.properties.headers?.['x-field-path'] === 'payload.picking.name')?.properties.headers?.['x-original-queue'], queue);
    assert.equal(dead.length, 4);
    assert.equal((await readRaw(queue, 0)).length, 0, 'nothing left behind');
  });
});
