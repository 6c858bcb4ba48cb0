import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { Broker } from '../../sidecar/src/broker';
import { createLogger } from '../../sidecar/src/telemetry';
import { AMQP_URL } from '../support/env';

const silent = createLogger('error');

async function until(cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('integration: Broker against the real RabbitMQ', function () {
  this.timeout(30_000);
  const queue = `lb.test.broker.${process.pid}`;
  let broker: Broker | undefined;

  afterEach(async () => {
    await broker?.close();
    broker = undefined;
  });

  it('reconnects after the connection is lost, counting it, and channels can be opened again', async () => {
    const registry = new Registry();
    broker = await Broker.open({ url: AMQP_URL }, silent, registry);
    await broker.model.waitForConnect();
    await until(() => broker?.isConnected() === true);
    let reconnects = 0;
    broker.model.on('connect', () => reconnects++);
    const first = await broker.model.createChannel();
    await first.assertQueue(queue, { durable: false, autoDelete: false });

    // Cut the socket under amqplib, as a network failure would.
    (first.connection as unknown as { stream: { destroy(e: Error): void } }).stream.destroy(new Error('cut by test'));
    await until(() => reconnects === 1 && broker?.isConnected() === true);
    assert.match(await registry.metrics(), /logistics_bridge_broker_reconnects_total 1/);

    const ch = await broker.model.createChannel();
    const { queue: q } = await ch.checkQueue(queue);
    assert.equal(q, queue);
    await ch.deleteQueue(queue);
    await ch.close();
  });

  it('keeps trying without throwing when the broker refuses the credentials', async () => {
    const url = AMQP_URL.replace(/\/\/[^@]*@/, '//guest:wrong-password@');
    broker = await Broker.open({ url }, silent);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(broker.isConnected(), false);
  });
});
