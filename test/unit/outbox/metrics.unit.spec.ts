import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Registry } from 'prom-client';
import { RelayMetrics } from '../../../sidecar/src/outbox';

describe('relay metrics (unit)', () => {
  it('registers exactly the relay series (and the SLA ones read from relay_stats) that docs/relay.md documents', async () => {
    const registry = new Registry();
    const metrics = new RelayMetrics(registry);
    metrics.inFlightSource = () => 7;
    const registered = (await registry.getMetricsAsJSON()).map((m) => m.name).sort();
    const documented = [...new Set(readFileSync(resolve(__dirname, '../../../docs/relay.md'), 'utf8').match(/logistics_bridge_(relay|sla)_[a-z_]+/g) ?? [])].sort();
    assert.deepEqual(registered, documented);
    assert.match(await registry.getSingleMetricAsString('logistics_bridge_relay_in_flight'), /logistics_bridge_relay_in_flight 7/);
  });
});
