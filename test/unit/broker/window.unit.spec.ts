import assert from 'node:assert/strict';
import { ConfirmWindow } from '../../../sidecar/src/broker';

describe('ConfirmWindow (unit)', () => {
  it('lets `size` messages in flight and makes the next one wait for a confirm', async () => {
    const w = new ConfirmWindow(2);
    await w.acquire();
    await w.acquire();
    let third = false;
    const p = w.acquire().then(() => (third = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(third, false);
    assert.equal(w.waiting, 1);
    w.release();
    await p;
    assert.equal(third, true);
    assert.equal(w.inFlight, 2);
  });

  it('serves waiters in publish order', async () => {
    const w = new ConfirmWindow(1);
    await w.acquire();
    const order: number[] = [];
    const all = [1, 2, 3].map((n) => w.acquire().then(() => order.push(n)));
    w.release();
    w.release();
    w.release();
    await Promise.all(all);
    assert.deepEqual(order, [1, 2, 3]);
  });

  it('drops an aborted waiter without losing a slot', async () => {
    const w = new ConfirmWindow(1);
    await w.acquire();
    const ac = new AbortController();
    const aborted = w.acquire(ac.signal);
    ac.abort(new Error('stop'));
    await assert.rejects(aborted, /stop/);
    assert.equal(w.waiting, 0);
    w.release();
    assert.equal(w.inFlight, 0);
    await w.acquire();
    assert.equal(w.inFlight, 1);
  });

  it('refuses a release without an acquire and a non-positive size', () => {
    assert.throws(() => new ConfirmWindow(1).release());
    assert.throws(() => new ConfirmWindow(0), RangeError);
  });
});
