import assert from 'node:assert/strict';
import { FAULT_KINDS, describeFault, faultSchedule, faultSeed } from '../../support/fault-schedule';

describe('unit: the fault suite’s seeded plan', () => {
  const window = { windowMs: 90_000 };

  it('is the same plan for the same seed and another for another seed', () => {
    assert.deepEqual(faultSchedule(42, window), faultSchedule(42, window));
    assert.notDeepEqual(faultSchedule(42, window), faultSchedule(43, window));
  });

  it('injects every kind, each link fault with a mode, never two faults at once, all inside the window', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const plan = faultSchedule(seed, { ...window, rounds: 1 });
      assert.deepEqual([...plan.map((f) => f.kind)].sort(), [...FAULT_KINDS].sort(), `seed ${seed}`);
      for (const f of plan) assert.equal(f.mode !== undefined, f.kind.endsWith('-link'), `seed ${seed}: ${describeFault(f)}`);
      plan.forEach((f, i) => {
        const next = plan[i + 1];
        if (next) assert.ok(next.atMs >= f.atMs + f.holdMs + 3_000, `seed ${seed}: ${describeFault(next)} starts before ${describeFault(f)} healed and a gap passed`);
      });
      const last = plan.at(-1);
      assert.ok(last && last.atMs + last.holdMs <= window.windowMs, `seed ${seed} ends after the window`);
      assert.ok(plan.every((f) => f.atMs >= 0));
    }
  });

  it('repeats the kinds for more rounds, and refuses a window too short for them', () => {
    assert.equal(faultSchedule(7, { windowMs: 200_000, rounds: 2 }).length, 2 * FAULT_KINDS.length);
    assert.throws(() => faultSchedule(7, { windowMs: 20_000 }), /more than the 20000 ms window/);
  });

  it('takes FAULT_SEED for a replay, draws a fresh seed without it, and names a bad one', () => {
    assert.equal(faultSeed({ FAULT_SEED: '1234' }), 1234);
    assert.equal(faultSeed({}, () => 0.5), 1 + Math.floor(0.5 * 0x7ffffffe));
    assert.ok(faultSeed({}, () => 0) >= 1);
    assert.ok(faultSeed({}, () => 0.9999999999) <= 0x7fffffff);
    for (const bad of ['0', '-3', '1.5', 'abc', String(2 ** 31)]) assert.throws(() => faultSeed({ FAULT_SEED: bad }), /FAULT_SEED must be an integer/);
  });

  it('describes a fault in one line', () => {
    assert.equal(describeFault({ atMs: 12_345, kind: 'gateway-link', mode: 'stall', holdMs: 4_000 }), '+12.3s gateway-link (stall) for 4.0s');
  });
});
