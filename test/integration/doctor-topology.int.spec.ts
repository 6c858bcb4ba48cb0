import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { Broker, consumedQueue, declareQueue, declareTopology, verifyTopology } from '../../sidecar/src/broker';
import { createLogger } from '../../sidecar/src/telemetry';
import { AMQP_URL } from '../support/env';

/** `doctor`'s topology line on the real RabbitMQ: missing, as declared, declared with other arguments. Nothing is created by the check. */
describe('integration: doctor checks the broker topology without declaring it', function () {
  this.timeout(20_000);
  const run = randomBytes(4).toString('hex');
  const names = { events: `test.doctor.${run}.events`, unroutableExchange: `test.doctor.${run}.unroutable`, unroutableQueue: `test.doctor.${run}.unroutable` };
  const queue = consumedQueue(`test.doctor.${run}.updates`);
  const log = createLogger('error');
  let conn: ChannelModel;
  let ch: Channel;
  let broker: Broker;

  before(async () => {
    conn = await amqp.connect(AMQP_URL);
    ch = await conn.createChannel();
    broker = await Broker.connect({ url: AMQP_URL }, log);
  });
  after(async () => {
    await broker?.close();
    for (const q of [queue.name, `${queue.name}.dead`, names.unroutableQueue]) await ch.deleteQueue(q).catch(() => undefined);
    for (const e of [names.events, names.unroutableExchange]) await ch.deleteExchange(e).catch(() => undefined);
    await conn?.close().catch(() => undefined);
  });

  it('names what is missing, creates nothing, then is content once the sidecar declared it', async () => {
    const missing = await verifyTopology(broker.model, names, [queue]);
    assert.equal(missing.length, 5, missing.join('\n'));
    assert.match(missing.join('\n'), new RegExp(`queue ${queue.name.replace(/\./g, '\\.')}\\.dead does not exist`));
    const probe = await conn.createChannel();
    probe.on('error', () => undefined);
    await assert.rejects(probe.checkQueue(queue.name), /NOT_FOUND/, 'the check declared the queue');
    await declareTopology(ch, names);
    await declareQueue(broker.model, queue, log);
    assert.deepEqual(await verifyTopology(broker.model, names, [queue]), []);
  });

  it('names a queue declared with other arguments (an older version), and leaves it as it is', async () => {
    const old = consumedQueue(`test.doctor.${run}.old`);
    await ch.assertQueue(old.name, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await ch.assertQueue(`${old.name}.dead`, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    try {
      const problems = await verifyTopology(broker.model, names, [old]);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0] as string, /exists with other arguments than this sidecar declares \(.*PRECONDITION_FAILED/);
    } finally {
      await ch.deleteQueue(old.name).catch(() => undefined);
      await ch.deleteQueue(`${old.name}.dead`).catch(() => undefined);
    }
  });
});
