import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { AnswerQueue, type Outcome } from '../../../sidecar/src/devices/gateway/answers';
import { InvalidArgument } from '../../../sidecar/src/devices/gateway';
import { PauseReasons } from '../../../sidecar/src/devices/gateway/pause';

const ack: Outcome = { ack: { updates: 1, duplicate: false } };

describe('gateway answers: in order, and the resume point (pure)', () => {
  it('answers in sequence order whatever order the outcomes come in', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 50 }), (order) => {
        const q = new AnswerQueue(0);
        const pending = order.map((_, i) => q.enqueue(i + 1, 0, 10));
        const written: number[] = [];
        const released: number[] = [];
        const settleOrder = [...pending.keys()].sort((a, b) => (order[a] ?? 0) - (order[b] ?? 0) || a - b);
        for (const i of settleOrder) {
          const r = q.settle(pending[i] as (typeof pending)[number], ack);
          written.push(...r.answers.map((a) => a.pending.seq));
          released.push(...r.released.map((p) => p.seq));
        }
        assert.deepEqual(written, pending.map((p) => p.seq));
        assert.deepEqual(released, written);
        assert.equal(q.resume, order.length);
        assert.equal(q.inFlight, 0);
      }),
    );
  });

  it('tells replays, next and out-of-order sequences apart without moving on a refusal', () => {
    const q = new AnswerQueue(5);
    assert.deepEqual(q.check(3), { kind: 'replay' });
    assert.deepEqual(q.check(6), { kind: 'next' });
    assert.deepEqual(q.check(6), { kind: 'out_of_order', lastSeen: 6 });
    assert.equal(q.refusedSequence(0), 0, 'an unreadable sequence is answered as 0');
    assert.equal(q.refusedSequence(4), 0, 'an old one too');
    assert.equal(q.refusedSequence(9), 9, 'a new refused one keeps its number');
    assert.deepEqual(q.check(8), { kind: 'out_of_order', lastSeen: 9 });
  });

  it('never moves the resume point past a lost message, and stops answering after it', () => {
    const q = new AnswerQueue(0);
    const [a, b, c] = [q.enqueue(1, 0, 1), q.enqueue(2, 0, 1), q.enqueue(3, 0, 1)];
    assert.equal(q.settle(a, ack).answers.length, 1);
    assert.equal(q.settle(c, { reject: new InvalidArgument('x', 'y') }).answers.length, 0, 'waits for 2');
    const r = q.settle(b, { lost: true });
    assert.equal(r.answers.length, 0);
    assert.equal(r.released.length, 2, 'the budget is given back for both');
    assert.equal(q.resume, 1);
    assert.ok(q.hasFailed);
  });

  it('a refused message moves the resume point like an acked one (it is finally answered)', () => {
    const q = new AnswerQueue(0);
    const p = q.enqueue(q.refusedSequence(4), 0, 1);
    q.settle(p, { reject: new InvalidArgument('x', 'y') });
    assert.equal(q.resume, 4);
  });
});

describe('gateway pause reasons (pure)', () => {
  it('pauses while any reason holds, and hints only about the adapter pace', () => {
    const p = new PauseReasons();
    assert.equal(p.set('full', true), true);
    assert.equal(p.hint(), 'too many unconfirmed messages on this stream');
    assert.equal(p.set('budget', true), false, 'already paused');
    assert.equal(p.set('write', true), false);
    assert.equal(p.hint(), undefined, 'an adapter that does not read its answers would not read a hint');
    p.set('write', false);
    p.set('full', false);
    assert.equal(p.hint(), 'gateway buffer budget spent (broker confirms slow)');
    assert.equal(p.set('budget', false), true);
    assert.equal(p.paused, false);
  });
});
