import assert from 'node:assert/strict';
import { checkDeadLetters, checkEffects, checkEvents, checkUpdates, checkWork, summary, violations, type ChainFigures } from '../../support/chain-checks';

const ev = (uuid: string, aggregate: string, id: number) => ({ uuid, aggregate, id });

describe('unit: the fault suite’s end checks', () => {
  describe('events', () => {
    const committed = [ev('a1', 'A', 1), ev('b1', 'B', 2), ev('a2', 'A', 3), ev('a3', 'A', 4)];

    it('counts nothing wrong when every event came, redeliveries and interleaved aggregates included', () => {
      const f = checkEvents(committed, ['b1', 'a1', 'a2', 'a1', 'a3', 'x9']);
      assert.deepEqual({ ...f, examples: [] }, { committed: 4, delivered: 4, lost: 0, redelivered: 1, orderViolations: 0, examples: [] });
    });

    it('counts an event that never came as lost', () => {
      const f = checkEvents(committed, ['a1', 'b1', 'a3']);
      assert.equal(f.lost, 1);
      assert.match(f.examples.join(), /lost: event 3 a2 of A/);
    });

    it('counts a first arrival after a later event of its aggregate as an order violation; a redelivery of an old one is not', () => {
      assert.equal(checkEvents(committed, ['a1', 'a3', 'a2', 'b1']).orderViolations, 1);
      assert.equal(checkEvents(committed, ['a1', 'a2', 'a3', 'a1', 'b1']).orderViolations, 0);
    });
  });

  describe('updates', () => {
    it('wants one applied row per durable update and a rejected one per bad input', () => {
      const f = checkUpdates({ sent: new Set(['k1', 'k2', 'bad']), durable: new Set(['k1', 'k2', 'bad']), inbox: [{ key: 'k1', state: 'applied' }, { key: 'k2', state: 'applied' }, { key: 'bad', state: 'rejected' }], bad: new Set(['bad']) });
      assert.deepEqual([f.durable, f.lost, f.double, f.wrongOutcome, f.lostAtEdge], [3, 0, 0, 0, 0]);
    });

    it('counts a durable update without a row as lost, two rows as double, a wrong state as a wrong outcome', () => {
      const f = checkUpdates({
        sent: new Set(['k1', 'k2', 'k3', 'bad']),
        durable: new Set(['k1', 'k2', 'k3', 'bad']),
        inbox: [{ key: 'k2', state: 'applied' }, { key: 'k2', state: 'applied' }, { key: 'k3', state: 'rejected' }, { key: 'bad', state: 'applied' }],
        bad: new Set(['bad']),
      });
      assert.deepEqual([f.lost, f.double, f.wrongOutcome], [1, 1, 2]);
    });

    it('lets an update that raced a cancel made on purpose be applied or rejected, nothing else', () => {
      const racing = new Set(['w9:pick', 'w9:pack']);
      const ok = checkUpdates({ sent: racing, durable: racing, inbox: [{ key: 'w9:pick', state: 'applied' }, { key: 'w9:pack', state: 'rejected' }], bad: new Set(), racing });
      assert.deepEqual([ok.lost, ok.wrongOutcome], [0, 0]);
      // Without the cancel, the same rejection is a wrong outcome.
      assert.equal(checkUpdates({ sent: racing, durable: racing, inbox: [{ key: 'w9:pick', state: 'applied' }, { key: 'w9:pack', state: 'rejected' }], bad: new Set() }).wrongOutcome, 1);
    });

    it('tells updates lost with a killed adapter’s memory (never acknowledged) apart from lost ones', () => {
      const f = checkUpdates({ sent: new Set(['k1', 'edge']), durable: new Set(['k1']), inbox: [{ key: 'k1', state: 'applied' }], bad: new Set() });
      assert.deepEqual([f.lost, f.lostAtEdge], [0, 1]);
    });
  });

  describe('effects', () => {
    const stock = new Map([[7, { initial: 100, now: 97 }]]);
    const done = { name: 'OUT/1', state: 'done', moves: [{ product: 7, demand: 3, quantity: 3, picked: true }], applied: ['pick.confirmed', 'shipment.dispatched'] };

    it('accepts quantities within demand, done pickings that were dispatched, and stock down by what they delivered', () => {
      const open = { name: 'OUT/2', state: 'assigned', moves: [{ product: 7, demand: 2, quantity: 2, picked: false }], applied: [] };
      assert.deepEqual(checkEffects([done, open], stock), { pickings: 2, done: 1, double: 0, examples: [] });
    });

    it('counts a quantity over demand, a done picking without its dispatch, and stock that went down twice', () => {
      const twice = { ...done, moves: [{ product: 7, demand: 3, quantity: 6, picked: true }] };
      assert.equal(checkEffects([twice], new Map([[7, { initial: 100, now: 94 }]])).double, 1);
      assert.equal(checkEffects([{ ...done, applied: ['pick.confirmed'] }], stock).double, 1);
      const f = checkEffects([done], new Map([[7, { initial: 100, now: 94 }]]));
      assert.equal(f.double, 1);
      assert.match(f.examples.join(), /stock: product 7 has 94, expected 97/);
    });
  });

  describe('work and dead letters', () => {
    it('wants every item acknowledged by its family or withdrawn, and nothing left in the pools', () => {
      const items = [{ workId: 'w1', family: 'barcode' }, { workId: 'w1', family: 'sorter' }, { workId: 'w2', family: 'barcode' }];
      const ok = checkWork({ items, acked: new Set(['barcode w1', 'sorter w1']), withdrawn: new Set(['w2']), leftInPools: 0 });
      assert.deepEqual([ok.acknowledged, ok.withdrawn, ok.unanswered], [2, 1, 0]);
      // Acknowledged by another family does not count.
      const bad = checkWork({ items, acked: new Set(['barcode w1', 'barcode w2']), withdrawn: new Set(), leftInPools: 2 });
      assert.deepEqual([bad.unanswered, bad.leftInPools], [1, 2]);
    });

    it('wants a dead letter, with a reason, for each bad input and for nothing else', () => {
      assert.deepEqual(checkDeadLetters([{ id: 'bad1', reason: 'no picking' }, { id: 'bad1', reason: 'no picking' }], new Set(['bad1'])), { dead: 2, unexpected: 0, missing: 0, withoutReason: 0, examples: [] });
      const f = checkDeadLetters([{ id: 'good', reason: 'x' }, { id: 'bad1', reason: ' ' }], new Set(['bad1', 'bad2']));
      assert.deepEqual([f.unexpected, f.missing, f.withoutReason], [1, 1, 1]);
      // A rejection that raced a cancel made on purpose may be dead-lettered, need not be.
      assert.deepEqual(checkDeadLetters([{ id: 'w9:pack', reason: 'OUT/7 is already cancel' }], new Set(), new Set(['w9:pack', 'w9:pick'])).unexpected, 0);
    });
  });

  it('sums the figures into the headline the suite asserts on', () => {
    const f: ChainFigures = {
      events: checkEvents([ev('a1', 'A', 1), ev('a2', 'A', 2)], ['a2']),
      updates: checkUpdates({ sent: new Set(['k']), durable: new Set(['k']), inbox: [], bad: new Set() }),
      effects: checkEffects([], new Map()),
      work: checkWork({ items: [], acked: new Set(), withdrawn: new Set(), leftInPools: 0 }),
      dead: checkDeadLetters([], new Set()),
    };
    assert.deepEqual(violations(f), { lost: 2, double: 0, 'order violations': 0, 'wrong outcomes': 0, 'unanswered work': 0, 'unexpected dead letters': 0 });
    assert.match(summary(f), /^lost 2, double 0, order violations 0, /);
  });
});
