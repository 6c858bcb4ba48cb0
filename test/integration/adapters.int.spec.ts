import { strict as assert } from 'node:assert';
import { connect, type AdapterClient } from '@logistics-bridge/adapter-sdk';
import { barcodeScenario, robotFleetScenario, runScenario, sorterScenario, sscc, type AnyScenario, type ExpectedUpdate } from '../../adapters/simulators';
import { readQueue, startGateway, tokenOf, type GatewayFixture } from '../support/gateway';

/**
 * The simulators, through their reference adapters and the SDK, against the real gateway and RabbitMQ:
 * exactly the updates each scenario expects land on logistics.updates, and nothing else.
 */
describe('adapters and simulators against the gateway', function () {
  this.timeout(60_000);
  let fx: GatewayFixture;
  let client: AdapterClient | undefined;
  beforeEach(async () => {
    fx = await startGateway();
  });
  afterEach(async () => {
    await client?.close(1000).catch(() => undefined);
    client = undefined;
    await fx.stop();
  });

  const byKey = (a: { idempotency_key: string }, b: { idempotency_key: string }) => (a.idempotency_key < b.idempotency_key ? -1 : 1);

  async function runAndCollect(s: AnyScenario): Promise<Array<Record<string, unknown> & { idempotency_key: string }>> {
    client = await connect({ address: `127.0.0.1:${fx.port}`, token: tokenOf(s.scenario.adapterId), family: s.scenario.family, adapterId: s.scenario.adapterId });
    const rejects: string[] = [];
    client.on('reject', (r) => rejects.push(`${r.sequence} ${r.status} ${r.fieldPath} ${r.message}`));
    await runScenario(s, client);
    await client.flush(30_000);
    assert.deepEqual(rejects, []);
    const q = await readQueue(fx.queue, s.scenario.expected.length, 10_000);
    for (const m of q) assert.equal(m.properties.messageId, m.body.idempotency_key);
    return q.map((m) => m.body);
  }

  function assertExactly(actual: Array<{ idempotency_key: string }>, want: ExpectedUpdate[]): void {
    assert.ok(want.length > 0);
    assert.deepEqual([...actual].sort(byKey), [...want].sort(byKey));
  }

  it('sorter simulator: one parcel.sorted per SSCC, lost parcels failed, the jam reported', async () => {
    const scenario = sorterScenario({ seed: 21, adapterId: 'sorter-a', sorterId: 'sorter-1', startMs: Date.now(), durationMs: 30_000, rate: 5, lostRate: 0.03 });
    assertExactly(await runAndCollect({ kind: 'sorter', scenario }), scenario.expected);
  });

  it('robot fleet simulator: 10 Hz state collapses to milestones', async () => {
    const scenario = robotFleetScenario({ seed: 4, adapterId: 'fleet-a', startMs: Date.now(), durationMs: 60_000, robots: 5, blockRate: 0.3, failRate: 0.1 });
    assertExactly(await runAndCollect({ kind: 'robot_fleet', scenario }), scenario.expected);
    assert.ok(client && client.stats.acked > 0);
  });

  it('barcode simulator: pick and pack sessions, mistakes filtered', async () => {
    const scenario = barcodeScenario({ seed: 8, adapterId: 'scan-a', startMs: Date.now(), durationMs: 90_000, scanners: 4, doubleScanRate: 0.2, misreadRate: 0.1 });
    assertExactly(await runAndCollect({ kind: 'barcode', scenario }), scenario.expected);
  });

  it('an adapter whose connection drops resumes after the last acked sequence: no gap, no duplicate', async () => {
    const scenario = sorterScenario({ seed: 33, adapterId: 'sorter-a', sorterId: 'sorter-1', startMs: Date.now(), durationMs: 30_000, rate: 5 });
    client = await connect({
      address: `127.0.0.1:${fx.port}`,
      token: tokenOf('sorter-a'),
      family: 'sorter',
      adapterId: 'sorter-a',
      batch: { maxReadings: 5, lingerMs: 5 },
      backoff: { baseMs: 20, maxMs: 100 },
    });
    const c = client;
    let drops = 0;
    let reconnected = 0;
    c.on('connected', () => (reconnected += 1));
    // Cut the stream three times while traffic flows (what a NAT timeout or a flaky link does).
    let sent = 0;
    let nextDropAt = 150;
    await runScenario({ kind: 'sorter', scenario }, {
      sendReading: async (deviceId, reading) => {
        sent += 1;
        if (sent >= nextDropAt && c.isConnected && c.pending > 0 && drops < 3) {
          drops += 1;
          nextDropAt = sent + 150;
          const back = new Promise((resolve) => c.once('connected', resolve));
          (c as unknown as { call?: { cancel(): void } }).call?.cancel();
          await back;
        }
        await c.sendReading(deviceId, reading);
      },
    });
    await c.flush(30_000);
    assert.equal(drops, 3);
    assert.ok(reconnected >= 3, `connected again ${reconnected} times`);
    assert.ok(c.stats.reconnects >= 3);
    // Sequences are contiguous from 1 here, so anything sent beyond the last acked one was a resend.
    assert.ok(c.stats.sent > c.lastAckedSequence, `sent ${c.stats.sent}, last acked ${c.lastAckedSequence}: the cuts lost nothing in flight?`);
    const q = await readQueue(fx.queue, scenario.expected.length, 10_000);
    const keys = q.map((m) => m.body.idempotency_key);
    assert.equal(new Set(keys).size, keys.length, 'no update published twice');
    assertExactly(
      q.map((m) => m.body),
      scenario.expected,
    );
  });

  it('sendUpdate: updates an adapter derived itself land as sent, paced to the adapter\'s rate without rejects', async () => {
    // slow-a may send 5 messages per second; 12 updates take about 1.5 s instead of being refused.
    client = await connect({ address: `127.0.0.1:${fx.port}`, token: tokenOf('slow-a'), family: 'sorter', adapterId: 'slow-a' });
    const rejects: string[] = [];
    client.on('reject', (r) => rejects.push(`${r.sequence} ${r.status}`));
    const codes = Array.from({ length: 12 }, (_, i) => sscc('4012345', 900 + i));
    for (const [i, code] of codes.entries()) {
      await client.sendUpdate('sorter-9', 'parcel.sorted', { sscc: code, chute: `C${i}`, picking: { name: 'WH/OUT/00077' } }, { idempotencyKey: `slow-a:parcel.sorted:${code}`, eventTimeMs: 1_767_225_600_000 + i });
    }
    await client.flush(20_000);
    assert.deepEqual(rejects, []);
    const q = await readQueue(fx.queue, codes.length);
    assert.deepEqual(
      q.map((m) => [m.body.idempotency_key, m.body.type, m.body.payload]),
      codes.map((code, i) => [`slow-a:parcel.sorted:${code}`, 'parcel.sorted', { sscc: code, chute: `C${i}`, picking: { name: 'WH/OUT/00077' } }]),
    );
  });

  it('retryable rejects (rate limit) are resent under new sequence numbers and land exactly once', async () => {
    client = await connect({ address: `127.0.0.1:${fx.port}`, token: tokenOf('slow-a'), family: 'sorter', adapterId: 'slow-a', paceToGatewayRate: false, backoff: { baseMs: 100, maxMs: 400 } });
    const statuses: string[] = [];
    client.on('reject', (r) => statuses.push(r.status));
    const codes = Array.from({ length: 10 }, (_, i) => sscc('4012345', 700 + i));
    for (const [i, code] of codes.entries()) {
      await client.sendUpdate('sorter-9', 'parcel.sorted', { sscc: code, chute: `C${i}` }, { idempotencyKey: `slow-a:parcel.sorted:${code}`, eventTimeMs: 1_767_225_600_000 + i });
    }
    await client.flush(30_000);
    assert.ok(statuses.length > 0 && statuses.every((s) => s === 'RESOURCE_EXHAUSTED'), statuses.join(','));
    assert.ok(client.stats.retried > 0);
    const q = await readQueue(fx.queue, codes.length);
    assert.deepEqual(q.map((m) => m.body.idempotency_key).sort(), codes.map((c) => `slow-a:parcel.sorted:${c}`).sort());
  });

  it('connect rejects a wrong token with UNAUTHENTICATED instead of retrying forever', async () => {
    const started = Date.now();
    await assert.rejects(
      connect({ address: `127.0.0.1:${fx.port}`, token: 'not-a-token-0123456789', family: 'sorter', adapterId: 'sorter-a', backoff: { baseMs: 10, maxMs: 20 } }),
      /UNAUTHENTICATED/,
    );
    assert.ok(Date.now() - started < 5_000);
  });
});
