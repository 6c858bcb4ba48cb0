import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import amqp, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { ACK, Broker, Consumer, consumedQueue, DeadLetterQueue, deadLetter, declareQueue, DROP, type Delivery, type Outcome } from '../../sidecar/src/broker';
import { runDead } from '../../sidecar/src/cli/dead';
import { createLogger } from '../../sidecar/src/telemetry';
import { AMQP_URL } from '../support/env';

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What `logistics-bridge dead ...` printed. */
function output(): { out: Writable; text: () => string } {
  const chunks: string[] = [];
  return { out: new Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) }), text: () => chunks.join('') };
}

/**
 * `logistics-bridge dead list|show|replay` on the real RabbitMQ (3.10 here; run with AMQP_URL on 4.x too),
 * on a queue of its own with its `.dead` queue filled the two ways a dead letter arrives: the consumer
 * helper's dead-letter outcome (the applier's `x-reject-*` headers) and RabbitMQ's own (a `drop`: `x-death`).
 */
describe('integration: dead letters listed, shown and replayed on the real RabbitMQ', function () {
  this.timeout(90_000);
  const log = createLogger('error');
  const spec = consumedQueue(`test.dead.${randomBytes(4).toString('hex')}`);
  const deadName = (spec.deadLetter as { name: string }).name;
  let conn: ChannelModel;
  let ch: Channel;
  let broker: Broker;
  let dlq: DeadLetterQueue;
  let order: string[] = [];
  const payload = (id: string) => ({ type: 'pick.confirmed', idempotency_key: id, payload: { picking: `WH/OUT/${id}` } });
  const count = async (q: string) => (await ch.checkQueue(q)).messageCount;
  /** Takes every message of `q` (acked), for a test to look at. */
  const drain = async (q: string): Promise<GetMessage[]> => {
    const out: GetMessage[] = [];
    for (let m = await ch.get(q, { noAck: true }); m; m = await ch.get(q, { noAck: true })) out.push(m);
    return out;
  };

  before(async () => {
    conn = await amqp.connect(AMQP_URL);
    ch = await conn.createChannel();
    broker = await Broker.connect({ url: AMQP_URL }, log);
    await declareQueue(broker.model, spec, log);
    dlq = new DeadLetterQueue(broker.model, deadName, log);
    // m1..m3 rejected by "Odoo", m4 failing the schema, m5 dropped (RabbitMQ dead-letters it), m6 applied.
    const outcomes: Record<string, Outcome> = {
      m1: deadLetter('unknown product barcode 400638', { 'x-reject-stage': 'rejected' }),
      m2: deadLetter('unknown product barcode 400639', { 'x-reject-stage': 'rejected' }),
      m3: deadLetter('picking WH/OUT/m3 is cancelled', { 'x-reject-stage': 'rejected' }),
      m4: deadLetter('payload.sscc: SSCC check digit is wrong', { 'x-reject-stage': 'schema', 'x-reject-path': 'payload.sscc' }),
      m5: DROP,
      m6: ACK,
    };
    for (const id of Object.keys(outcomes)) {
      ch.sendToQueue(spec.name, Buffer.from(JSON.stringify(payload(id))), { messageId: id, correlationId: `corr-${id}`, type: 'pick.confirmed', persistent: true, contentType: 'application/json', headers: { 'adapter-id': 'wh1' } });
    }
    const stop = new AbortController();
    const consumer = new Consumer(broker.model, (d: Delivery) => outcomes[d.properties.messageId as string] as Outcome, { queue: spec, prefetch: 10, log });
    const running = consumer.run(stop.signal);
    await until('five dead letters', async () => (await count(deadName)) === 5 && (await count(spec.name)) === 0);
    stop.abort();
    await running;
  });

  after(async () => {
    await broker?.close();
    for (const q of [spec.name, deadName]) await ch?.deleteQueue(q).catch(() => undefined);
    await conn?.close().catch(() => undefined);
  });

  it('lists every dead letter by id, stage and reason, oldest first, and leaves them all in place however often it is run', async () => {
    const { letters, total } = await dlq.list(100);
    assert.equal(total, 5);
    order = letters.map((d) => d.id);
    // In the queue's order, which is arrival: RabbitMQ's own dead letter (m5) may come before the others.
    letters.sort((a, b) => a.id.localeCompare(b.id));
    assert.deepEqual(
      letters.map((d) => [d.id, d.stage, d.from]),
      [
        ['m1', 'rejected', spec.name],
        ['m2', 'rejected', spec.name],
        ['m3', 'rejected', spec.name],
        ['m4', 'schema', spec.name],
        ['m5', 'rejected', spec.name], // RabbitMQ's x-death reason for a drop
      ],
    );
    assert.equal(letters[3]?.path, 'payload.sscc');
    assert.match(letters[4]?.reason ?? '', /RabbitMQ dead-lettered it/);
    // A quorum queue on RabbitMQ 4 drops a message after 20 failed deliveries by default (a get without ack
    // then a closed channel is one there): reading must not be.
    for (let i = 0; i < 25; i++) await dlq.list(100);
    await until('all five back after reading', async () => (await count(deadName)) === 5);
    assert.deepEqual((await dlq.list(100)).letters.map((d) => d.id), order, 'the order changed');

    const firstTwo = await dlq.list(2);
    assert.deepEqual([firstTwo.letters.map((d) => d.id), firstTwo.total], [order.slice(0, 2), 5]);
    const { out, text } = output();
    assert.equal(await runDead({ kind: 'dead-list', queue: deadName, ids: [], stage: 'rejected', limit: 1000, json: false }, dlq, new AbortController().signal, out), 0);
    assert.match(text(), /^m2\s+rejected\s+\S+\s+pick\.confirmed\s+unknown product barcode 400639$/m);
    assert.doesNotMatch(text(), /^m4/m);
    assert.match(text(), /4 of 5 shown \(4 rejected\)/);
  });

  it('shows one with its reason and pretty-printed payload', async () => {
    const { out, text } = output();
    assert.equal(await runDead({ kind: 'dead-show', queue: deadName, id: 'm4' }, dlq, new AbortController().signal, out), 0);
    assert.match(text(), /^reason {8}payload\.sscc: SSCC check digit is wrong$/m);
    assert.match(text(), /^field path {4}payload\.sscc$/m);
    assert.match(text(), /^payload\n\{\n {2}"type": "pick\.confirmed",/m);
    await until('all five back after show', async () => (await count(deadName)) === 5);
  });

  it('replays by id and by stage: confirmed into the source queue with the same messageId, the rest kept in order', async () => {
    const { out, text } = output();
    assert.equal(await runDead({ kind: 'dead-replay', queue: deadName, select: { ids: ['m2'] }, dryRun: false }, dlq, new AbortController().signal, out), 0);
    assert.match(text(), /replayed 1 \(1 to test\.dead\.\w+\), 4 not selected, 0 failed/);
    const byStage = await dlq.replay((d) => d.stage === 'schema');
    assert.deepEqual([byStage.moved, byStage.kept, byStage.failed], [1, 3, 0]);
    const back = await drain(spec.name);
    assert.deepEqual(back.map((m) => m.properties.messageId), ['m2', 'm4']);
    const m2 = back[0] as GetMessage;
    assert.deepEqual(JSON.parse(m2.content.toString()), payload('m2'));
    assert.equal(m2.properties.correlationId, 'corr-m2');
    assert.equal(m2.properties.headers?.['adapter-id'], 'wh1');
    assert.equal(m2.properties.headers?.['x-replayed-from'], deadName);
    assert.equal(m2.properties.headers?.['x-reject-reason'], undefined, 'the applier would see its own old verdict');
    assert.deepEqual((await dlq.list(100)).letters.map((d) => d.id), order.filter((id) => id !== 'm2' && id !== 'm4'), 'the others were not kept in their place');
  });

  it('an interruption after a confirm and before the ack loses nothing; the second run completes, the one double keeps its messageId', async () => {
    let cut = false;
    const doomed = await Broker.connect({ url: AMQP_URL }, log);
    const first = new DeadLetterQueue(doomed.model, deadName, log);
    // The process "dies" right after the first confirm: the connection goes before any ack is sent.
    await first
      .replay(() => true, {
        window: 1,
        onConfirmed: async () => {
          if (!cut) {
            cut = true;
            await doomed.close();
          }
        },
      })
      .catch(() => undefined);
    await until('the dead copies back', async () => (await count(deadName)) === 3);
    const second = await dlq.replay(() => true);
    assert.deepEqual([second.moved, second.failed], [3, 0]);
    assert.equal(await count(deadName), 0);
    const ids = (await drain(spec.name)).map((m) => m.properties.messageId as string);
    assert.deepEqual([...new Set(ids)].sort(), ['m1', 'm3', 'm5'], 'every dead letter is back');
    assert.equal(ids.length, 4, `exactly the one confirmed-but-unacked message twice (the applier answers duplicate): ${ids.join(',')}`);
  });

  it('never publishes into a queue that does not exist: the dead letter stays, the reason is given', async () => {
    ch.sendToQueue(deadName, Buffer.from('{}'), { messageId: 'orphan', headers: { 'x-original-queue': `${spec.name}.gone`, 'x-reject-reason': 'x' } });
    await until('the orphan', async () => (await count(deadName)) === 1);
    const r = await dlq.replay(() => true);
    assert.deepEqual([r.moved, r.failed], [0, 1]);
    assert.match(r.errors[0] ?? '', /queue test\.dead\.\w+\.gone does not exist/);
    await until('the orphan back', async () => (await count(deadName)) === 1);
  });
});
