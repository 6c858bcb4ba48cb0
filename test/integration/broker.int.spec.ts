import assert from 'node:assert/strict';
import type { ChannelModel } from 'amqplib';
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

  it('runs its setups on connect and again after the connection is lost', async () => {
    const registry = new Registry();
    let setups = 0;
    let current: ChannelModel | undefined;
    broker = await Broker.open({ url: AMQP_URL }, silent, registry);
    broker.onConnect(async (model) => {
      setups++;
      current = model;
      const ch = await model.createChannel();
      await ch.assertQueue(queue, { durable: false, autoDelete: false });
      await ch.close();
    });
    await broker.model.waitForConnect();
    await until(() => broker?.isConnected() === true && setups === 1);

    // Cut the socket under amqplib, as a network failure would.
    (current?.connection as unknown as { stream: { destroy(e: Error): void } }).stream.destroy(new Error('cut by test'));
    await until(() => setups === 2 && broker?.isConnected() === true);
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
