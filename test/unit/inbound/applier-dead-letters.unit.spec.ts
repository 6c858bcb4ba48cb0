import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Applier, ApplierMetrics, DEAD_HEADERS } from '../../../sidecar/src/inbound';
import { createLogger } from '../../../sidecar/src/telemetry';
import { FakeWorld, settle } from '../../support/fake-amqp';

const silent = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));

describe('applier dead letters (unit, fake channel)', () => {
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
});
