import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Applier, ApplierMetrics, DEAD_HEADERS } from '../../../sidecar/src/inbound';
import { OdooTransportError } from '../../../sidecar/src/odoo';
import { createLogger } from '../../../sidecar/src/telemetry';
import { FakeWorld, settle } from '../../support/fake-amqp';

const silent = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));

describe('applier settling through the consumer helper (unit, fake channel)', () => {
  it('honours back-pressure: after publish() returns false no dead letter is written until drain, then each is acked after its confirm', async () => {
    const world = new FakeWorld();
    const odoo = { executeKw: () => Promise.reject(new Error('not called: schema failures never reach Odoo')) };
    const metrics = new ApplierMetrics();
    const applier = new Applier(world as never, odoo, { queue: 'q', batchSize: 10, lingerMs: 1, prefetch: 10, log: silent, metrics });
    const controller = new AbortController();
    const running = applier.run(controller.signal);
    await applier.ready();
    world.writesBeforeFull = 1; // the first dead letter fills the socket buffer
    const tags = [1, 2, 3].map((i) => world.deliver(`not json ${i}`, { messageId: `m-${i}` }));
    await settle();
    assert.equal(world.published.length, 1, 'one write, then wait for drain');
    assert.equal(world.writesWhileFull, 0);
    world.drain();
    await settle();
    assert.equal(world.published.length, 3);
    assert.equal(world.writesWhileFull, 0);
    assert.equal(world.settled.length, 0, 'nothing acked before the confirms');
    world.confirmAll();
    await settle();
    assert.deepEqual(
      world.settled.map((s) => [s.tag, s.kind]),
      tags.map((t) => [t, 'ack']),
    );
    const dead = world.published[0];
    assert.equal(dead?.routingKey, 'q.dead');
    assert.equal((dead?.options.headers as Record<string, unknown>)[DEAD_HEADERS.stage], 'schema');
    controller.abort();
    await running;
  });

  it('stops while Odoo is down: the unanswered batch and the waiting updates are requeued, nothing acked', async () => {
    const world = new FakeWorld();
    let calls = 0;
    const odoo = {
      executeKw: () => {
        calls++;
        return Promise.reject(new OdooTransportError('connect ECONNREFUSED', 'transport', { retryable: true }));
      },
    };
    const applier = new Applier(world as never, odoo, { queue: 'q', batchSize: 2, lingerMs: 1, prefetch: 10, log: silent, metrics: new ApplierMetrics(), batchRetryDelay: () => 20 });
    const controller = new AbortController();
    const running = applier.run(controller.signal);
    await applier.ready();
    const body = (i: number) => JSON.stringify({ idempotency_key: `k-${i}`, type: 'device.status', adapter_id: 'a', device_id: `d${i}`, correlation_id: null, event_time: new Date(0).toISOString(), payload: { status: 'online' } });
    const tags = [1, 2, 3].map((i) => world.deliver(body(i), { messageId: `k-${i}` }));
    while (calls < 2) await settle();
    controller.abort();
    await running; // resolves: the drain does not wait for a batch Odoo never answered
    assert.deepEqual(
      world.settled.map((s) => [s.tag, s.kind, s.requeue]).sort(),
      tags.map((t) => [t, 'nack', true]),
    );
  });
});
