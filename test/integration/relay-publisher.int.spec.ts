import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { Broker, ConfirmPublisher, declareTopology, PublishError, type TopologyNames } from '../../sidecar/src/broker';
import { createLogger } from '../../sidecar/src/telemetry';
import { AMQP_URL } from '../support/env';

const silent = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));

/** Names of our own so that parallel runs and a real relay on this broker are not disturbed. */
function names(tag: string): TopologyNames {
  const base = `lb.test.${tag}.${process.pid}.${Date.now()}`;
  return { events: `${base}.events`, unroutableExchange: `${base}.unroutable`, unroutableQueue: `${base}.unroutable` };
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('integration: windowed confirm publisher and topology on the real RabbitMQ', function () {
  this.timeout(60_000);
  let admin: ChannelModel;
  let broker: Broker | undefined;
  let publisher: ConfirmPublisher | undefined;
  const cleanup: Array<(ch: amqp.Channel) => Promise<unknown>> = [];

  before(async () => {
    admin = await amqp.connect(AMQP_URL);
  });
  after(async () => {
    // A channel per operation: one failure closes a channel, and must not skip the rest.
    for (const c of cleanup) {
      const ch = await admin.createChannel();
      await c(ch).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
    await admin.close();
  });
  afterEach(async () => {
    await publisher?.close();
    await broker?.close();
    publisher = undefined;
    broker = undefined;
  });

  function track(n: TopologyNames, ...queues: string[]) {
    cleanup.push((ch) => ch.deleteExchange(n.events), (ch) => ch.deleteExchange(n.unroutableExchange), (ch) => ch.deleteQueue(n.unroutableQueue));
    for (const q of queues) cleanup.push((ch) => ch.deleteQueue(q));
  }

  async function open(n: TopologyNames, window: number, source?: (b: Broker) => { createConfirmChannel(): Promise<ConfirmChannel> }) {
    broker = await Broker.open({ url: AMQP_URL }, silent);
    await broker.model.waitForConnect();
    publisher = new ConfirmPublisher(source ? source(broker) : broker.model, { window, log: silent, setup: (ch) => declareTopology(ch, n) });
    await publisher.ready();
    return publisher;
  }

  async function bindQueue(n: TopologyNames, key: string): Promise<string> {
    const ch = await admin.createChannel();
    const { queue } = await ch.assertQueue(`${n.events}.${key}.q`, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await ch.bindQueue(queue, n.events, key);
    await ch.close();
    return queue;
  }

  async function count(queue: string): Promise<number> {
    const ch = await admin.createChannel();
    const { messageCount } = await ch.checkQueue(queue);
    await ch.close();
    return messageCount;
  }

  it('declares the topology idempotently, with the alternate exchange keeping unroutable events', async () => {
    const n = names('topo');
    track(n);
    const pub = await open(n, 10);
    const ch = await admin.createChannel();
    await declareTopology(ch, n); // a second declaration with the same arguments is accepted
    await ch.close();
    await pub.publish({ exchange: n.events, routingKey: 'nobody.binds.this', content: Buffer.from('{"x":1}'), options: { persistent: true, messageId: 'm-1' } });
    await until(async () => (await count(n.unroutableQueue)) === 1);
    const get = await admin.createChannel();
    const msg = await get.get(n.unroutableQueue, { noAck: true });
    await get.close();
    assert.ok(msg);
    assert.equal(msg.properties.messageId, 'm-1');
    assert.equal(msg.fields.routingKey, 'nobody.binds.this');
  });

  it('keeps at most `window` messages unconfirmed and delivers all of them', async () => {
    const n = names('window');
    const queue = `${n.events}.stock.picking.ready.q`;
    track(n, queue);
    const pub = await open(n, 50);
    await bindQueue(n, 'stock.picking.ready');
    let maxInFlight = 0;
    const sampler = setInterval(() => (maxInFlight = Math.max(maxInFlight, pub.inFlight)), 1);
    const confirms = await Promise.allSettled(
      Array.from({ length: 3000 }, (_, i) => {
        const p = pub.publish({ exchange: n.events, routingKey: 'stock.picking.ready', content: Buffer.from(JSON.stringify({ i })), options: { persistent: true, messageId: `m-${i}` } });
        maxInFlight = Math.max(maxInFlight, pub.inFlight);
        return p;
      }),
    );
    clearInterval(sampler);
    assert.equal(confirms.filter((c) => c.status === 'fulfilled').length, 3000);
    assert.ok(maxInFlight <= 50, `in flight reached ${maxInFlight}`);
    assert.ok(maxInFlight > 1, 'more than one message must be in flight at once');
    assert.equal(pub.inFlight, 0);
    await until(async () => (await count(queue)) === 3000);
  });

  it("waits for 'drain' when publish() reports a full buffer, and loses nothing", async () => {
    const n = names('drain');
    const queue = `${n.events}.big.q`;
    track(n, queue);
    let refusals = 0;
    const pub = await open(n, 5000, (b) => ({
      async createConfirmChannel() {
        const ch = await b.model.createConfirmChannel();
        const publish = ch.publish.bind(ch);
        ch.publish = (...args: Parameters<ConfirmChannel['publish']>) => {
          const ok = publish(...args);
          if (!ok) refusals++;
          return ok;
        };
        return ch;
      },
    }));
    await bindQueue(n, 'big');
    const body = Buffer.from(JSON.stringify({ sku: 'DESK', qty: 1 }));
    const results = await Promise.allSettled(Array.from({ length: 5000 }, (_, i) => pub.publish({ exchange: n.events, routingKey: 'big', content: body, options: { persistent: true, messageId: `b-${i}` } })));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 5000);
    assert.ok(refusals > 0 && refusals < 5000, `publish() returned false ${refusals} times: the publisher must stop writing until 'drain'`);
    await until(async () => (await count(queue)) === 5000);
  });

  it('fails unconfirmed messages as channel-closed when the connection drops, then publishes again after recovery', async () => {
    const n = names('reconnect');
    const queue = `${n.events}.r.q`;
    track(n, queue);
    let reconnected = false;
    const pub = await open(n, 200);
    broker?.model.on('connect', () => (reconnected = true));
    await bindQueue(n, 'r');
    // The model in use now: reach it through a fresh channel's connection.
    const probe = await broker?.model.createChannel();
    const stream = (probe?.connection as unknown as { stream: { destroy(err?: Error): void } }).stream;
    const inFlight = Array.from({ length: 500 }, (_, i) => pub.publish({ exchange: n.events, routingKey: 'r', content: Buffer.from(`${i}`), options: { persistent: true } }));
    stream.destroy(new Error('test: network cut')); // as a reset socket does
    const outcomes = await Promise.allSettled(inFlight);
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    for (const f of failed) assert.ok(f.reason instanceof PublishError && f.reason.kind === 'channel-closed', String(f.reason));
    await until(() => broker?.isConnected() === true && reconnected);
    assert.ok(failed.length > 0, 'the messages on the wire when the socket died must fail, not hang');
    await pub.publish({ exchange: n.events, routingKey: 'r', content: Buffer.from('after'), options: { persistent: true, messageId: 'after' } });
    const confirmedBefore = outcomes.length - failed.length;
    await until(async () => (await count(queue)) >= confirmedBefore + 1);
  });

  it('gives up waiting for a window slot when the signal aborts, without sending', async () => {
    const n = names('abort');
    track(n);
    const pub = await open(n, 1);
    const ac = new AbortController();
    const first = pub.publish({ exchange: n.events, routingKey: 'x', content: Buffer.from('1'), options: {} });
    const second = pub.publish({ exchange: n.events, routingKey: 'x', content: Buffer.from('2'), options: {} }, ac.signal);
    ac.abort(new Error('stop'));
    await assert.rejects(second, (e: unknown) => e instanceof PublishError && e.kind === 'aborted');
    await first;
  });
});
