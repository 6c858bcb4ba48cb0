import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { ErpUpdate } from '@logistics-bridge/contract';
import { UpdatePublisher, Unavailable } from '../../../sidecar/src/devices/gateway';
import { createLogger } from '../../../sidecar/src/telemetry';
import { FakeWorld, settle } from '../../support/fake-amqp';

const silent = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));

function update(i: number): ErpUpdate {
  return { idempotency_key: `k-${i}`, type: 'device.status', adapter_id: 'a', device_id: 'd', correlation_id: null, event_time: new Date(0).toISOString(), payload: { status: 'online' } } as unknown as ErpUpdate;
}

describe('UpdatePublisher over the broker publisher (unit, fake channel)', () => {
  it('never has more than `window` updates unconfirmed, also when a publish arrives while a freed slot is handed to a waiter', async () => {
    const world = new FakeWorld();
    const pub = new UpdatePublisher(world.model, { queue: 'q', window: 2, log: silent });
    await pub.declare();
    const all: Array<Promise<void>> = [];
    for (let i = 0; i < 3; i++) all.push(pub.publish(update(i), { sequence: i, eventTimeMs: 0 }));
    await settle();
    assert.equal(world.unconfirmedNow, 2);
    // One confirm frees a slot for the waiting third publish; new publishes arrive at every microtask
    // turn after it, so one of them lands between the slot being freed and the waiter taking it.
    world.published[0]?.confirm();
    for (let i = 3; i < 13; i++) {
      void (async () => {
        for (let turn = 3; turn < i; turn++) await null;
        all.push(pub.publish(update(i), { sequence: i, eventTimeMs: 0 }));
      })();
    }
    await settle();
    assert.ok(world.unconfirmedNow <= 2, `at most 2 unconfirmed, saw ${world.unconfirmedNow}`);
    while (world.published.length < 13 || world.unconfirmedNow > 0) {
      world.confirmAll();
      await settle();
    }
    await Promise.all(all);
    assert.equal(world.maxUnconfirmed, 2, 'the window of 2 is never exceeded');
  });

  it('waits for drain after the channel says its buffer is full', async () => {
    const world = new FakeWorld();
    world.writesBeforeFull = 1;
    const pub = new UpdatePublisher(world.model, { queue: 'q', window: 100, log: silent });
    await pub.declare();
    const all = [0, 1, 2].map((i) => pub.publish(update(i), { sequence: i, eventTimeMs: 0 }));
    await settle();
    assert.equal(world.published.length, 1, 'nothing else is written until drain');
    world.drain();
    await settle();
    assert.equal(world.published.length, 3);
    assert.equal(world.writesWhileFull, 0);
    world.confirmAll();
    await Promise.all(all);
  });

  it('refuses at once with Unavailable while no channel is open, and opens one again by itself', async () => {
    const world = new FakeWorld();
    const pub = new UpdatePublisher(world.model, { queue: 'q', window: 10, log: silent });
    await pub.declare();
    const confirmChannel = world.channels.find((c) => !c.closed);
    await confirmChannel?.close();
    await assert.rejects(pub.publish(update(1), { sequence: 1, eventTimeMs: 0 }), (err: unknown) => err instanceof Unavailable);
    await settle();
    const p = pub.publish(update(2), { sequence: 2, eventTimeMs: 0 });
    await settle();
    world.confirmAll();
    await p;
    assert.equal(world.published.length, 1);
  });
});
