import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import amqp, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import {
  ACK,
  Broker,
  ConfirmPublisher,
  Consumer,
  DEAD_LETTER_HEADERS,
  deadLetter,
  declareQueue,
  DELIVERY_LIMIT,
  DROP,
  PublishError,
  REQUEUE,
  consumedQueue,
  poolNames,
  poolQueue,
  type Delivery,
  type Outcome,
} from '../../sidecar/src/broker';
import { createLogger } from '../../sidecar/src/telemetry';
import { AMQP_URL } from '../support/env';

/** Lines a logger wrote, to see the warnings a user would. */
function capture(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const log = createLogger('warn', new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
  return { log, lines };
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * broker/ on the real RabbitMQ (3.10 on 5672 by default; run with AMQP_URL on a 4.x broker too): the
 * queue arguments, the upgrade of a queue declared with other arguments, the consumer helper's outcomes,
 * reconnect and drain, and the publisher's refuse mode.
 */
describe('integration: broker queues, consumer and publisher modes on the real RabbitMQ', function () {
  this.timeout(60_000);
  const run = randomBytes(4).toString('hex');
  const queues: string[] = [];
  let conn: ChannelModel;
  let ch: Channel;
  let broker: Broker | undefined;
  const name = (what: string) => {
    const q = `test.broker.${run}.${what}`;
    queues.push(q, `${q}.dead`);
    return q;
  };

  before(async () => {
    conn = await amqp.connect(AMQP_URL);
    ch = await conn.createChannel();
  });
  afterEach(async () => {
    await broker?.close();
    broker = undefined;
  });
  after(async () => {
    for (const q of queues) await ch.deleteQueue(q).catch(() => undefined);
    await conn.close().catch(() => undefined);
  });

  async function openBroker(): Promise<Broker> {
    broker = await Broker.open({ url: AMQP_URL }, capture().log);
    await broker.model.waitForConnect();
    return broker;
  }

  function send(queue: string, bodies: string[]): void {
    for (const b of bodies) ch.sendToQueue(queue, Buffer.from(b), { persistent: true, messageId: b });
  }

  it('declares a consumed queue with its dead-letter queue, idempotently', async () => {
    const b = await openBroker();
    const q = name('declare');
    const { log, lines } = capture();
    assert.equal(await declareQueue(b.model, consumedQueue(q), log), 'declared');
    assert.equal(await declareQueue(b.model, consumedQueue(q), log), 'declared');
    assert.equal((await ch.checkQueue(`${q}.dead`)).queue, `${q}.dead`);
    assert.deepEqual(lines, []);
  });

  it('keeps a queue an older version declared with other arguments (PRECONDITION_FAILED), warns, and consumes from it', async () => {
    const b = await openBroker();
    const q = name('upgrade');
    await ch.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'quorum' } }); // as the previous release declared it
    const { log, lines } = capture();
    assert.equal(await declareQueue(b.model, consumedQueue(q), log), 'kept');
    assert.match(lines.join(''), /queue exists with other arguments/);
    send(q, ['old-1']);
    const got: string[] = [];
    const controller = new AbortController();
    const consumer = new Consumer(b.model, (d) => (got.push(d.content.toString()), ACK), { queue: consumedQueue(q), prefetch: 10, log });
    const running = consumer.run(controller.signal);
    await until('the message', () => got.length === 1);
    controller.abort();
    await running;
    assert.deepEqual(got, ['old-1']);
    assert.equal((await ch.checkQueue(q)).messageCount, 0);
  });

  it('never lets the delivery limit drop a message: past it, RabbitMQ moves it to the dead-letter queue', async () => {
    const b = await openBroker();
    const q = name('limit');
    await declareQueue(b.model, consumedQueue(q), capture().log);
    send(q, ['poison']);
    let deliveries = 0;
    for (let i = 0; i < DELIVERY_LIMIT + 5; i++) {
      const m = await ch.get(q);
      if (!m) break;
      deliveries++;
      ch.nack(m, false, true);
    }
    await until('dead-lettered', async () => (await ch.checkQueue(`${q}.dead`)).messageCount === 1);
    const dead = await ch.get(`${q}.dead`, { noAck: true });
    assert.equal(dead && dead.content.toString(), 'poison');
    assert.ok(deliveries >= DELIVERY_LIMIT && deliveries <= DELIVERY_LIMIT + 1, `delivered ${deliveries} times`);
    assert.equal((await ch.checkQueue(q)).messageCount, 0);
  });

  it('keeps a pool queue\'s work through 30 returns by a closed channel (no delivery limit on this broker, whatever its version)', async () => {
    const b = await openBroker();
    const pool = poolNames({ events: `test.broker.${run}.events`, unroutableExchange: '', unroutableQueue: '' }, 'robot_fleet', 'WH');
    queues.push(pool.queue, `${pool.queue}.dead`);
    await declareQueue(b.model, { ...poolQueue(pool), bindings: [] }, capture().log);
    send(pool.queue, ['work-1']);
    let deliveries = 0;
    for (let i = 0; i < 30; i++) {
      const c = await conn.createChannel();
      const m = await c.get(pool.queue);
      if (m) deliveries++;
      await c.close(); // returned unacked, as when an adapter's sidecar stops consuming the pool
      if (!m) break;
    }
    assert.equal(deliveries, 30, 'delivered again after every return');
    await until('the work back in its queue', async () => (await ch.checkQueue(pool.queue)).messageCount === 1);
    assert.equal((await ch.checkQueue(`${pool.queue}.dead`)).messageCount, 0);
  });

  it('carries out each outcome: ack, requeue, dead-letter with the reason, drop into the dead-letter queue', async () => {
    const b = await openBroker();
    const q = name('outcomes');
    await declareQueue(b.model, consumedQueue(q), capture().log);
    send(q, ['ack', 'requeue', 'dead', 'drop']);
    const seen: string[] = [];
    const answer = (d: Delivery): Outcome => {
      const body = d.content.toString();
      seen.push(`${body}${d.fields.redelivered ? '*' : ''}`);
      if (body === 'requeue') return d.fields.redelivered ? ACK : REQUEUE;
      if (body === 'dead') return deadLetter('test reason', { 'x-test': 1 });
      if (body === 'drop') return DROP;
      return ACK;
    };
    const settled: Array<[string, boolean]> = [];
    const controller = new AbortController();
    const consumer = new Consumer(b.model, answer, { queue: consumedQueue(q), prefetch: 10, log: capture().log, onSettled: (o, done) => settled.push([o.kind, done]) });
    const running = consumer.run(controller.signal);
    await until('all settled', () => settled.length === 5);
    await until('two dead letters', async () => (await ch.checkQueue(`${q}.dead`)).messageCount === 2);
    controller.abort();
    await running;
    assert.deepEqual(seen.sort(), ['ack', 'dead', 'drop', 'requeue', 'requeue*']);
    assert.ok(settled.every(([, done]) => done));
    assert.equal((await ch.checkQueue(q)).messageCount, 0);
    const dead = [await ch.get(`${q}.dead`, { noAck: true }), await ch.get(`${q}.dead`, { noAck: true })];
    const byBody: Record<string, GetMessage | undefined> = Object.fromEntries(dead.filter((m): m is GetMessage => m !== false).map((m) => [m.content.toString(), m]));
    const ours = byBody.dead?.properties.headers ?? {};
    assert.equal(ours[DEAD_LETTER_HEADERS.reason], 'test reason');
    assert.equal(ours[DEAD_LETTER_HEADERS.queue], q);
    assert.equal(ours['x-test'], 1);
    assert.equal(byBody.dead?.properties.messageId, 'dead', 'original properties kept');
    const death = (byBody.drop?.properties.headers ?? {})['x-death'] as Array<{ reason: string; queue: string }> | undefined;
    assert.equal(death?.[0]?.reason, 'rejected');
    assert.equal(death?.[0]?.queue, q);
  });

  it('consumes again after the connection is cut; every message is handled and acked, none left', async () => {
    const b = await openBroker();
    const q = name('reconnect');
    await declareQueue(b.model, consumedQueue(q), capture().log);
    const bodies = Array.from({ length: 300 }, (_, i) => `m${i}`);
    send(q, bodies.slice(0, 150));
    const handled = new Set<string>();
    let consuming = 0;
    const controller = new AbortController();
    const consumer = new Consumer(
      b.model,
      async (d) => {
        await new Promise((r) => setTimeout(r, 2));
        handled.add(d.content.toString());
        return ACK;
      },
      { queue: consumedQueue(q), prefetch: 20, log: capture().log, onConsuming: () => consuming++ },
    );
    const running = consumer.run(controller.signal);
    await until('some handled', () => handled.size > 20);
    const probe = await b.model.createChannel();
    (probe.connection as unknown as { stream: { destroy(err?: Error): void } }).stream.destroy(new Error('test: network cut'));
    await until('consuming again', () => consuming === 2);
    send(q, bodies.slice(150));
    await until('all handled and acked', async () => handled.size === bodies.length && (await ch.checkQueue(q)).messageCount === 0);
    controller.abort();
    await running;
    assert.equal((await ch.checkQueue(q)).messageCount, 0);
  });

  it('on abort hands nothing new to the handler, finishes the deliveries in flight and settles them', async () => {
    const b = await openBroker();
    const q = name('drain');
    await declareQueue(b.model, consumedQueue(q), capture().log);
    send(q, ['slow-1', 'slow-2', 'later']);
    const started: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const controller = new AbortController();
    const consumer = new Consumer(
      b.model,
      async (d) => {
        started.push(d.content.toString());
        await gate;
        return ACK;
      },
      { queue: consumedQueue(q), prefetch: 2, log: capture().log },
    );
    const running = consumer.run(controller.signal);
    await until('two in flight', () => started.length === 2);
    controller.abort();
    let stopped = false;
    void running.then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(stopped, false, 'the drain waits for the handlers in flight');
    release();
    await running;
    assert.deepEqual(started, ['slow-1', 'slow-2']);
    await until('only the unhandled one left', async () => (await ch.checkQueue(q)).messageCount === 1);
    const left = await ch.get(q, { noAck: true });
    assert.equal(left && left.content.toString(), 'later');
  });

  it('publisher mode refuse fails at once while RabbitMQ is unreachable; mode wait waits (until its signal aborts)', async () => {
    broker = await Broker.open({ url: 'amqp://guest:guest@127.0.0.1:1' }, capture().log);
    const req = { exchange: '', routingKey: 'nowhere', content: Buffer.from('x'), options: {} };
    const refuse = new ConfirmPublisher(broker.model, { window: 10, mode: 'refuse', log: capture().log });
    await assert.rejects(refuse.publish(req), (err: unknown) => err instanceof PublishError && err.kind === 'unavailable');
    const wait = new ConfirmPublisher(broker.model, { window: 10, mode: 'wait', log: capture().log });
    const controller = new AbortController();
    const pending = wait.publish(req, controller.signal);
    let done = false;
    void pending.catch(() => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(done, false, 'mode wait is still waiting for a channel');
    controller.abort();
    await assert.rejects(pending, (err: unknown) => err instanceof PublishError && err.kind === 'aborted');
    await refuse.close();
    await wait.close();
  });
});
