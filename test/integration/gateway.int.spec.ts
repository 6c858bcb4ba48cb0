import { strict as assert } from 'node:assert';
import { status } from '@grpc/grpc-js';
import {
  clientFor,
  envelope,
  hello,
  parcelSortedUpdate,
  readQueue,
  startGateway,
  TestStream,
  tokenOf,
  type GatewayFixture,
} from '../support/gateway';

describe('device gateway (gRPC + RabbitMQ)', function () {
  let fx: GatewayFixture;
  beforeEach(async () => {
    fx = await startGateway();
  });
  afterEach(async () => {
    await fx.stop();
  });

  it('acks an update only once it is on logistics.updates, with the documented message contract', async () => {
    const s = new TestStream(clientFor('sorter', fx.port), tokenOf('sorter-a'));
    s.send(hello('sorter-a', 'sorter'));
    await s.until(() => s.helloAck() !== undefined);
    assert.equal(s.helloAck()?.resume_after_sequence, '0');
    s.send(parcelSortedUpdate('sorter-a', 'sorter-1', 1, 'C7'));
    await s.until(() => s.answers().length === 1);
    assert.deepEqual(s.answers()[0]?.kind, 'ack');
    const [m, ...rest] = await readQueue(fx.queue, 1);
    assert.equal(rest.length, 0);
    assert.ok(m);
    assert.equal(m.properties.messageId, 'sorter-a:sorter-1:1');
    assert.equal(m.properties.type, 'parcel.sorted');
    assert.equal(m.properties.correlationId, 'corr-1');
    assert.equal(m.properties.deliveryMode, 2);
    assert.equal(m.properties.headers?.['adapter-id'], 'sorter-a');
    assert.equal(m.properties.headers?.['device-id'], 'sorter-1');
    assert.equal(m.properties.headers?.sequence, 1);
    assert.deepEqual(m.body, {
      idempotency_key: 'sorter-a:sorter-1:1',
      type: 'parcel.sorted',
      adapter_id: 'sorter-a',
      device_id: 'sorter-1',
      correlation_id: 'corr-1',
      event_time: new Date(1_767_225_600_001).toISOString(),
      payload: { sscc: m.body.payload.sscc, picking: { name: 'WH/OUT/00012' }, chute: 'C7', lane: 'L1' },
    });
    assert.match(String(m.body.payload.sscc), /^\d{18}$/);
    s.close();
    assert.equal((await s.ended()).code, status.OK);
  });

  it('answers a missing or wrong token with UNAUTHENTICATED and a foreign adapter id too', async () => {
    for (const token of [undefined, 'not-a-valid-token-at-all-xx']) {
      const s = new TestStream(clientFor('sorter', fx.port), token);
      s.send(hello('sorter-a', 'sorter'));
      assert.equal((await s.ended()).code, status.UNAUTHENTICATED);
    }
    const s = new TestStream(clientFor('sorter', fx.port), tokenOf('scan-a'));
    s.send(hello('sorter-a', 'sorter'));
    assert.equal((await s.ended()).code, status.UNAUTHENTICATED);
  });

  it('refuses a hello for another family with PERMISSION_DENIED', async () => {
    const s = new TestStream(clientFor('barcode', fx.port), tokenOf('sorter-a'));
    s.send(hello('sorter-a', 'barcode'));
    assert.equal((await s.ended()).code, status.PERMISSION_DENIED);
  });

  it('rejects bad messages one by one with the field path and keeps the good ones around them', async () => {
    const s = new TestStream(clientFor('sorter', fx.port), tokenOf('sorter-a'));
    s.send(hello('sorter-a', 'sorter'));
    s.send(parcelSortedUpdate('sorter-a', 'sorter-1', 1));
    const bad = parcelSortedUpdate('sorter-a', 'sorter-1', 2) as { update: { parcel_sorted: { sscc: string } } };
    bad.update.parcel_sorted.sscc = '123456789012345678';
    s.send(bad);
    s.send({ update: { envelope: envelope('sorter-a', 'sorter-1', 3), pick_confirmed: { picking: { name: 'WH/OUT/1' }, lines: [{ product: { barcode: '4006381333931' }, quantity: -1 }] } } });
    s.send(parcelSortedUpdate('sorter-a', 'robot-9', 4)); // device outside the allowlist
    s.send(parcelSortedUpdate('sorter-a', 'scanner-2', 5));
    await s.until(() => s.answers().length === 5);
    const a = s.answers();
    assert.deepEqual(a.map((x) => [x.seq, x.kind]), [[1, 'ack'], [2, 'reject'], [3, 'reject'], [4, 'reject'], [5, 'ack']]);
    assert.equal(a[1]?.msg.status, 'INVALID_ARGUMENT');
    assert.equal(a[1]?.msg.field_path, 'update.parcel_sorted.sscc');
    assert.equal(a[2]?.msg.field_path, 'update.pick_confirmed.lines[0].quantity');
    assert.equal(a[3]?.msg.status, 'PERMISSION_DENIED');
    assert.equal(a[3]?.msg.field_path, 'update.envelope.device_id');
    const q = await readQueue(fx.queue, 2);
    assert.deepEqual(q.map((m) => m.properties.messageId).sort(), ['sorter-a:scanner-2:5', 'sorter-a:sorter-1:1']);
    assert.equal(s.status, undefined, 'the stream is still open');
    s.close();
  });

  it('rate-limits an adapter with RESOURCE_EXHAUSTED per message', async () => {
    const s = new TestStream(clientFor('sorter', fx.port), tokenOf('slow-a'));
    s.send(hello('slow-a', 'sorter'));
    for (let i = 1; i <= 20; i++) s.send(parcelSortedUpdate('slow-a', 'sorter-1', i));
    await s.until(() => s.answers().length === 20);
    const rejects = s.answers().filter((x) => x.kind === 'reject');
    assert.ok(rejects.length >= 10, `expected most of a burst of 20 over a rate of 5/s to be refused, got ${rejects.length}`);
    assert.ok(rejects.every((r) => r.msg.status === 'RESOURCE_EXHAUSTED' && r.msg.retryable === true));
    const q = await readQueue(fx.queue, 20 - rejects.length);
    assert.equal(q.length, 20 - rejects.length);
    s.close();
  });

  it('resumes after a reconnect from the last acked sequence: no gap, no duplicate', async () => {
    const first = new TestStream(clientFor('sorter', fx.port), tokenOf('sorter-a'));
    first.send(hello('sorter-a', 'sorter', 'sorter-1'));
    for (let i = 1; i <= 50; i++) first.send(parcelSortedUpdate('sorter-a', 'sorter-1', i));
    await first.until(() => first.answers().length >= 20);
    first.call.cancel(); // the link drops mid-stream
    await first.ended();
    const acked = Math.max(...first.answers().map((a) => a.seq));

    const second = new TestStream(clientFor('sorter', fx.port), tokenOf('sorter-a'));
    second.send({ hello: { ...(hello('sorter-a', 'sorter', 'sorter-1') as { hello: object }).hello, last_acked_sequence: String(acked) } });
    await second.until(() => second.helloAck() !== undefined);
    const resume = Number(second.helloAck()?.resume_after_sequence);
    assert.ok(resume >= acked, `resume point ${resume} is before the last ack ${acked}`);
    // A well-behaved adapter resends everything after the resume point; also replay one already acked.
    second.send(parcelSortedUpdate('sorter-a', 'sorter-1', resume));
    for (let i = resume + 1; i <= 60; i++) second.send(parcelSortedUpdate('sorter-a', 'sorter-1', i));
    await second.until(() => second.answers().length === 60 - resume + 1);
    assert.equal(second.answers()[0]?.msg.duplicate, true);
    const q = await readQueue(fx.queue, 60);
    const seqs = q.map((m) => Number(m.properties.headers?.sequence)).sort((x, y) => x - y);
    assert.deepEqual(seqs, Array.from({ length: 60 }, (_, i) => i + 1));
    second.close();
  });

  it('answers a non-increasing sequence with INVALID_ARGUMENT on envelope.sequence', async () => {
    const s = new TestStream(clientFor('sorter', fx.port), tokenOf('sorter-a'));
    s.send(hello('sorter-a', 'sorter'));
    s.send(parcelSortedUpdate('sorter-a', 'sorter-1', 5));
    s.send(parcelSortedUpdate('sorter-a', 'sorter-1', 3));
    await s.until(() => s.answers().length === 2);
    assert.equal(s.answers()[1]?.msg.field_path, 'update.envelope.sequence');
    s.close();
  });
});
