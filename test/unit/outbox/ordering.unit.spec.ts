import assert from 'node:assert/strict';
import { planWaves, splitBlocked } from '../../../sidecar/src/outbox';

describe('per-aggregate ordering guard (unit)', () => {
  it('keeps a batch of distinct aggregates in one wave', () => {
    const waves = planWaves([
      { id: 3, aggregate_key: 'a' },
      { id: 1, aggregate_key: 'b' },
      { id: 2, aggregate_key: 'c' },
    ]);
    assert.equal(waves.length, 1);
    assert.deepEqual(waves[0]?.map((e) => e.id), [1, 2, 3]);
  });

  it('puts event N+1 of an aggregate in a later wave than N, whatever the claim order', () => {
    const waves = planWaves([
      { id: 9, aggregate_key: 'a' },
      { id: 4, aggregate_key: 'a' },
      { id: 5, aggregate_key: 'b' },
      { id: 6, aggregate_key: 'a' },
    ]);
    assert.deepEqual(
      waves.map((w) => w.map((e) => e.id)),
      [[4, 5], [6], [9]],
    );
  });

  it('holds back the events of an aggregate that failed earlier in the batch', () => {
    const { go, blocked } = splitBlocked(
      [
        { id: 1, aggregate_key: 'a' },
        { id: 2, aggregate_key: 'b' },
      ],
      new Set(['a']),
    );
    assert.deepEqual(go.map((e) => e.id), [2]);
    assert.deepEqual(blocked.map((e) => e.id), [1]);
  });
});
