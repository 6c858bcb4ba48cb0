import assert from 'node:assert/strict';
import { backoffDelay, sleep } from '@logistics-bridge/contract';

describe('backoff', () => {
  const policy = { baseMs: 100, maxMs: 1_000 };
  it('grows exponentially between half and all of the ceiling', () => {
    assert.equal(backoffDelay(0, policy, () => 0), 50);
    assert.equal(backoffDelay(0, policy, () => 1), 100);
    assert.equal(backoffDelay(3, policy, () => 0), 400);
  });
  it('never exceeds the maximum', () => {
    for (let attempt = 0; attempt < 60; attempt++) assert.ok(backoffDelay(attempt, policy, () => 0.999) <= 1_000);
  });
  it('sleep stops early when its signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('stop')), 10);
    await assert.rejects(sleep(10_000, controller.signal), /stop/);
    assert.ok(Date.now() - started < 5_000);
  });
});
