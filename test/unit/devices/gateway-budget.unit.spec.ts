import { strict as assert } from 'node:assert';
import { IngestBudget } from '../../../sidecar/src/devices/gateway/budget';
import { Registry } from 'prom-client';
import { GatewayMetrics } from '../../../sidecar/src/devices/gateway/metrics';
import { StreamStateMap } from '../../../sidecar/src/devices/gateway/state';

class Member {
  held = false;
  hold(): void {
    this.held = true;
  }
  release(): void {
    this.held = false;
  }
}

describe('gateway ingest budget', () => {
  it('holds every stream once messages spend it and releases them all below half', () => {
    const b = new IngestBudget({ maxBytes: 1e9, maxMessages: 4 });
    const [x, y] = [new Member(), new Member()];
    b.join(x);
    b.join(y);
    for (let i = 0; i < 3; i++) b.take(10);
    assert.equal(x.held || y.held, false);
    b.take(10);
    assert.ok(x.held && y.held, 'the message that spends the budget holds every stream');
    b.give(10);
    assert.ok(x.held, 'still above the low-water mark');
    b.give(10);
    assert.ok(!x.held && !y.held);
    assert.equal(b.peakMessages, 4);
  });

  it('holds on bytes too, and a stream joining while held is held at once', () => {
    const b = new IngestBudget({ maxBytes: 1000, maxMessages: 1e6 });
    b.take(1500);
    assert.ok(b.held);
    const late = new Member();
    b.join(late);
    assert.ok(late.held);
    b.leave(late);
    b.give(1500);
    assert.ok(late.held, 'a stream that left is not touched again');
    assert.equal(b.bytes, 0);
    assert.equal(b.peakBytes, 1500);
  });
});

describe('gateway ingest budget, as exported', () => {
  it('fills by the tighter of its two limits, and counts every time it held the streams', async () => {
    const registry = new Registry();
    const b = new IngestBudget({ maxBytes: 1000, maxMessages: 10 });
    new GatewayMetrics(registry, () => ({}), () => 0, () => b);
    b.take(100, 4);
    assert.equal(b.fill, 0.4, 'four of ten messages weigh more than 100 of 1000 bytes');
    b.take(950, 1);
    b.give(1000, 5);
    b.take(1000, 1);
    const text = await registry.metrics();
    assert.match(text, /^logistics_bridge_gateway_buffer_fill_ratio 1.05$/m);
    assert.match(text, /^logistics_bridge_gateway_buffered\{unit="messages"\} 1$/m);
    assert.match(text, /^logistics_bridge_gateway_buffered\{unit="bytes"\} 1050$/m);
    assert.match(text, /^logistics_bridge_gateway_buffer_holds_total 2$/m);
  });
});

describe('gateway per-stream state', () => {
  it('evicts the least recently used stream that is not connected', () => {
    const live = new Set(['a']);
    const m = new StreamStateMap<number>(2, (k) => live.has(k));
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    assert.equal(m.get('a'), 1, 'a connected stream is never evicted');
    assert.equal(m.get('b'), undefined);
    assert.equal(m.size, 2);
    m.touch('a');
    live.clear();
    m.set('d', 4);
    assert.equal(m.get('c'), undefined, 'c was used least recently');
    assert.deepEqual([...m.entries()].map(([k]) => k), ['a', 'd']);
    assert.equal(m.evictions, 2);
  });
});
