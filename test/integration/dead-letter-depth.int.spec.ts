import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { Registry } from 'prom-client';
import { Broker, consumedQueue, DeadLetterDepth, declareQueue } from '../../sidecar/src/broker';
import { createLogger } from '../../sidecar/src/telemetry';
import { AMQP_URL } from '../support/env';

/**
 * `logistics_bridge_dead_letters{queue}` on the real RabbitMQ: the depth of each dead-letter queue as an
 * operator's `dead list` would count it, 0 for a queue not declared yet, and reading moves nothing.
 */
describe('integration: dead-letter queue depths exported for Prometheus', function () {
  this.timeout(60_000);
  const log = createLogger('error');
  const spec = consumedQueue(`test.depth.${randomBytes(4).toString('hex')}`);
  const deadName = (spec.deadLetter as { name: string }).name;
  const missing = `test.depth.missing.${randomBytes(4).toString('hex')}.dead`;
  let conn: ChannelModel;
  let ch: Channel;
  let broker: Broker;

  before(async () => {
    conn = await amqp.connect(AMQP_URL);
    ch = await conn.createChannel();
    broker = await Broker.connect({ url: AMQP_URL }, log);
    await declareQueue(broker.model, spec, log);
  });

  after(async () => {
    await broker?.close();
    for (const q of [spec.name, deadName]) await ch?.deleteQueue(q).catch(() => undefined);
    await conn?.close().catch(() => undefined);
  });

  it('reads each queue, counts 0 for one that does not exist, and leaves the messages where they are', async () => {
    for (let i = 0; i < 3; i++) ch.sendToQueue(deadName, Buffer.from(`{"n":${i}}`), { persistent: true, messageId: `m${i}` });
    await ch.checkQueue(deadName); // a round trip: the sends above are in the queue
    const registry = new Registry();
    const depth = new DeadLetterDepth({ source: broker.model, queues: [missing, deadName], registry, log });
    await depth.read();
    const text = await registry.metrics();
    assert.match(text, new RegExp(`^logistics_bridge_dead_letters\\{queue="${deadName.replace(/\./g, '\\.')}"\\} 3$`, 'm'));
    assert.match(text, new RegExp(`^logistics_bridge_dead_letters\\{queue="${missing.replace(/\./g, '\\.')}"\\} 0$`, 'm'));
    assert.equal((await ch.checkQueue(deadName)).messageCount, 3, 'nothing was taken out');
    // The loop keeps reading until its signal aborts: a replayed (emptied) queue drops to 0.
    await ch.purgeQueue(deadName);
    const stop = new AbortController();
    const running = depth.run(stop.signal);
    for (let i = 0; i < 200 && !/ 0$/m.test((await registry.getSingleMetricAsString('logistics_bridge_dead_letters')).split('\n').find((l) => l.includes(deadName)) ?? ''); i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    stop.abort();
    await running;
    assert.match(await registry.metrics(), new RegExp(`^logistics_bridge_dead_letters\\{queue="${deadName.replace(/\./g, '\\.')}"\\} 0$`, 'm'));
  });
});
