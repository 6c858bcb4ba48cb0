import assert from 'node:assert/strict';
import { describeDeadLetter, keepOptions, replayOptions, type MessageProperties } from '../../../sidecar/src/broker';
import { formatDeadList, formatDeadShow, selects } from '../../../sidecar/src/cli/dead';

const props = (p: Partial<MessageProperties>): MessageProperties => ({ headers: {}, ...p }) as MessageProperties;
const body = Buffer.from(JSON.stringify({ type: 'pick.confirmed', payload: { picking: 'WH/OUT/00042', sscc: '123' } }));

// What the applier's dead-letter outcome writes (docs/applier.md) and what RabbitMQ's own dead-lettering writes.
const rejected = describeDeadLetter(
  body,
  props({
    messageId: 'scan-7',
    type: 'pick.confirmed',
    correlationId: 'c-1',
    headers: { 'adapter-id': 'wh1', 'x-reject-reason': 'unknown product barcode 400638', 'x-reject-stage': 'rejected', 'x-original-queue': 'logistics.updates', 'x-dead-lettered-at': '2026-12-01T10:00:00.000Z', 'x-apply-attempts': 0 },
  }),
  'logistics.updates.dead',
);
const byBroker = describeDeadLetter(
  Buffer.from('{"x":1}'),
  props({ messageId: 'evt-9', headers: { 'x-death': [{ count: 1, reason: 'rejected', queue: 'logistics.device-work', time: { '!': 'timestamp', value: 1764583200 }, exchange: 'logistics.events', 'routing-keys': ['stock.picking.ready'] }], 'x-first-death-queue': 'logistics.device-work' } }),
  'logistics.device-work.dead',
);

describe('dead letters for an operator (unit)', () => {
  it("reads the id, stage, reason and source from the applier's headers", () => {
    assert.deepEqual([rejected.id, rejected.stage, rejected.reason, rejected.from, rejected.at], ['scan-7', 'rejected', 'unknown product barcode 400638', 'logistics.updates', '2026-12-01T10:00:00.000Z']);
  });

  it("reads RabbitMQ's x-death when the broker dead-lettered it: its reason is the stage, its queue the source", () => {
    assert.equal(byBroker.stage, 'rejected');
    assert.equal(byBroker.from, 'logistics.device-work');
    assert.match(byBroker.reason, /RabbitMQ dead-lettered it from logistics\.device-work \(rejected, 1 time\)/);
    assert.equal(byBroker.at, '2025-12-01T10:00:00.000Z');
  });

  it('names a message without messageId by its body, and one without headers after its dead-letter queue', () => {
    const bare = describeDeadLetter(Buffer.from('abc'), props({}), 'logistics.updates.dead');
    assert.match(bare.id, /^sha256:[0-9a-f]{16}$/);
    assert.equal(bare.from, 'logistics.updates');
    assert.equal(bare.stage, 'unknown');
  });

  it('replays with the same messageId and properties, without the dead-letter headers', () => {
    const o = replayOptions(rejected, 'logistics.updates.dead', new Date('2026-12-02T00:00:00Z'));
    assert.equal(o.messageId, 'scan-7');
    assert.equal(o.correlationId, 'c-1');
    assert.equal(o.type, 'pick.confirmed');
    assert.equal(o.persistent, true);
    assert.deepEqual(o.headers, { 'adapter-id': 'wh1', 'x-replayed-at': '2026-12-02T00:00:00.000Z', 'x-replayed-from': 'logistics.updates.dead' });
    assert.ok(!('x-death' in (replayOptions(byBroker, 'logistics.device-work.dead', new Date()).headers ?? {})));
  });

  it("puts a kept message back as it was, without the broker's delivery count (which a copy would carry)", () => {
    const got = describeDeadLetter(body, props({ ...rejected.properties, headers: { ...rejected.properties.headers, 'x-delivery-count': 3 } }), 'logistics.updates.dead');
    const kept = keepOptions(got);
    assert.equal(kept.headers?.['x-reject-reason'], 'unknown product barcode 400638');
    assert.equal(kept.messageId, 'scan-7');
    assert.ok(!('x-delivery-count' in (kept.headers ?? {})));
    assert.ok(!('x-delivery-count' in (replayOptions(got, 'q.dead', new Date()).headers ?? {})));
  });

  it('selects by id, by stage, or all', () => {
    assert.deepEqual([rejected, byBroker].filter(selects({ ids: ['evt-9'] })).map((d) => d.id), ['evt-9']);
    assert.deepEqual([rejected, byBroker].filter(selects({ stage: 'rejected' })).length, 2);
    assert.deepEqual([rejected, byBroker].filter(selects({ ids: ['scan-7'], stage: 'retries' })).length, 0);
    assert.deepEqual([rejected, byBroker].filter(selects({ all: true })).length, 2);
  });

  it('lists one line per message and shows one with its reason and pretty-printed payload', () => {
    const list = formatDeadList('logistics.updates.dead', [rejected], 1).split('\n');
    assert.match(list[0] as string, /^id\s+stage\s+dead-lettered at\s+type\s+reason$/);
    assert.match(list[1] as string, /^scan-7\s+rejected\s+2026-12-01T10:00:00\.000Z\s+pick\.confirmed\s+unknown product barcode 400638$/);
    assert.match(formatDeadList('q', [], 0), /no dead letters/);
    const show = formatDeadShow('logistics.updates.dead', rejected);
    assert.match(show, /^reason {8}unknown product barcode 400638$/m);
    assert.match(show, /^payload\n\{\n {2}"type": "pick\.confirmed",\n {2}"payload": \{\n {4}"picking": "WH\/OUT\/00042"/m);
  });
});
