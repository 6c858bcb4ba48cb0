import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Counter, Registry } from 'prom-client';
import { createLogger } from '../../../sidecar/src/telemetry';
import { WorkRouter, type WorkTarget } from '../../../sidecar/src/work';
import { FakeWorld, settle } from '../../support/fake-amqp';

const silent = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
const picking = JSON.stringify({
  shipment: { id: 1, name: 'WH/OUT/1', direction: 'outbound', warehouse: { code: 'WH' } },
  lines: [{ product: { id: 7, barcode: '4006381333931' }, quantity: 1, location: { id: 2, barcode: 'A-1' } }],
});

describe('work router over the consumer helper (unit, fake channel)', () => {
  it('holds work unacked and unrequeued while no capable adapter is connected, then sends it and acks', async () => {
    const world = new FakeWorld();
    const sessions: WorkTarget[] = [];
    const metrics = { work: new Counter({ name: 'w', help: 'w', labelNames: ['family'], registers: [new Registry()] }) };
    const router = new WorkRouter({ source: world.model, sessions: () => sessions, log: silent, metrics, retryMs: 5 });
    const controller = new AbortController();
    const running = router.run(controller.signal);
    while (!world.consumers.length) await settle();
    const tag = world.deliver(picking, { messageId: 'evt-1' });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(world.settled.length, 0, 'neither acked nor requeued while nobody can take it');
    const got: Array<Record<string, unknown>> = [];
    sessions.push({ family: 'robot_fleet', capabilities: ['work.robot_order'], warehouse: 'WH', sendWork: (w) => (got.push(w), true) });
    while (!world.settled.length) await settle();
    assert.deepEqual(world.settled, [{ tag, kind: 'ack' }]);
    assert.equal(got.length, 1);
    controller.abort();
    await running;
  });

  it('rejects a payload that is not the canonical picking without requeue (RabbitMQ parks it), and requeues held work on shutdown', async () => {
    const world = new FakeWorld();
    const metrics = { work: new Counter({ name: 'w', help: 'w', labelNames: ['family'], registers: [new Registry()] }) };
    const router = new WorkRouter({ source: world.model, sessions: () => [], log: silent, metrics, retryMs: 5 });
    const controller = new AbortController();
    const running = router.run(controller.signal);
    while (!world.consumers.length) await settle();
    const bad = world.deliver('{"order": {}}');
    const held = world.deliver(picking);
    await settle();
    controller.abort();
    await running;
    assert.deepEqual(world.settled, [
      { tag: bad, kind: 'nack', requeue: false },
      { tag: held, kind: 'nack', requeue: true },
    ]);
  });
});
