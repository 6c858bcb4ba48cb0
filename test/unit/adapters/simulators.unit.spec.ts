import { strict as assert } from 'node:assert';
import { barcodeScenario, robotFleetScenario, runScenario, sorterScenario, type AnyScenario, type ExpectedUpdate } from '../../../adapters/simulators';
import type { Reading, ReadingSink } from '@logistics-bridge/adapter-sdk';
import { toReading } from '../../../adapters/sorter';
import type { ErpUpdate, TelemetryMsg } from '@logistics-bridge/contract';
import { createRelevance } from '../../../sidecar/src/devices/relevance';

const START = Date.UTC(2026, 2, 2, 6, 0, 0);

/**
 * Runs a scenario through its reference adapter and the relevance module exactly as the gateway would
 * (batches of up to 50 readings per device, one relevance stream per adapter stream), without network.
 */
async function updatesOf(s: AnyScenario, batch = 50): Promise<{ updates: ErpUpdate[]; readings: number }> {
  const relevance = createRelevance({ family: s.scenario.family });
  const updates: ErpUpdate[] = [];
  const pending = new Map<string, Reading[]>();
  let sequence = 0;
  let readings = 0;
  const flush = (deviceId: string) => {
    const list = pending.get(deviceId);
    if (!list || list.length === 0) return;
    pending.delete(deviceId);
    sequence += 1;
    // The readings as the SDK writes them; the envelope as the gateway's pipeline hands it over.
    const telemetry = {
      envelope: { adapterId: s.scenario.adapterId, deviceId, sequence, idempotencyKey: '', correlationId: null, eventTimeMs: START },
      readings: list,
    } as TelemetryMsg;
    updates.push(...relevance.ingest(telemetry, START));
  };
  const sink: ReadingSink = {
    sendReading: async (deviceId, reading) => {
      readings += 1;
      const list = pending.get(deviceId) ?? [];
      list.push(reading);
      pending.set(deviceId, list);
      if (list.length >= batch) flush(deviceId);
    },
  };
  await runScenario(s, sink);
  for (const deviceId of [...pending.keys()]) flush(deviceId);
  return { updates, readings };
}

const byKey = (a: { idempotency_key: string }, b: { idempotency_key: string }) => (a.idempotency_key < b.idempotency_key ? -1 : 1);
function assertExactly(actual: ErpUpdate[], want: ExpectedUpdate[]): void {
  assert.ok(want.length > 0, 'a scenario that expects nothing proves nothing');
  assert.deepEqual([...actual].sort(byKey), [...want].sort(byKey));
}

describe('simulators through their reference adapters (unit)', () => {
  it('sorter: one parcel.sorted per SSCC, lost parcels failed, jam reported, nothing else', async () => {
    const scenario = sorterScenario({ seed: 7, startMs: START, durationMs: 60_000, rate: 4, inductions: 2, lostRate: 0.03 });
    const { updates, readings } = await updatesOf({ kind: 'sorter', scenario });
    assertExactly(updates, scenario.expected);
    assert.ok(scenario.summary.parcels >= 2 * 4 * 50, `parcels: ${scenario.summary.parcels}`);
    assert.ok(scenario.summary.noReads > 0 && scenario.summary.recirculated > 0 && scenario.summary.lost > 0 && scenario.summary.duplicateDiverts > 0, JSON.stringify(scenario.summary));
    assert.deepEqual(
      scenario.expected.filter((u) => u.type === 'device.status').map((u) => u.payload.status),
      ['online', 'error', 'online'],
    );
    assert.ok(readings > updates.length * 3);
  });

  it('robot fleet: a 10 Hz stream collapses to task milestones, with short blocks ignored', async () => {
    const scenario = robotFleetScenario({ seed: 3, startMs: START, durationMs: 120_000, robots: 4, blockRate: 0.3, failRate: 0.1 });
    const { updates, readings } = await updatesOf({ kind: 'robot_fleet', scenario });
    assertExactly(updates, scenario.expected);
    assert.ok(scenario.summary.longBlocks > 0 && scenario.summary.shortBlocks > 0 && scenario.summary.failed > 0, JSON.stringify(scenario.summary));
    assert.ok(readings / updates.length > 50, `reduction ${readings}/${updates.length}`);
  });

  it('barcode: pick and pack sessions with wrong items, double scans and misreads', async () => {
    const scenario = barcodeScenario({ seed: 11, startMs: START, durationMs: 120_000, scanners: 3, doubleScanRate: 0.2, misreadRate: 0.1, wrongItemRate: 0.1 });
    const { updates } = await updatesOf({ kind: 'barcode', scenario });
    assertExactly(updates, scenario.expected);
    const s = scenario.summary;
    assert.ok(s.doubleScans > 0 && s.misreads > 0 && s.wrongItems > 0, JSON.stringify(s));
    assert.ok(scenario.expected.some((u) => u.type === 'pack.completed') && scenario.expected.some((u) => u.type === 'pick.confirmed'));
  });

  it('the same seed yields the same traffic and expectations; another seed does not', () => {
    const a = sorterScenario({ seed: 5, startMs: START, durationMs: 10_000 });
    const b = sorterScenario({ seed: 5, startMs: START, durationMs: 10_000 });
    const c = sorterScenario({ seed: 6, startMs: START, durationMs: 10_000 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.events, c.events);
  });

  it('expectations hold whatever the adapter\'s batch size (1 reading per message or 50)', async () => {
    const scenario = barcodeScenario({ seed: 2, startMs: START, durationMs: 40_000 });
    const one = await updatesOf({ kind: 'barcode', scenario }, 1);
    assertExactly(one.updates, scenario.expected);
  });

  it('the sorter adapter parses PLC telegrams and ignores lines it does not understand', () => {
    assert.deepEqual(toReading('1700000000000;DIVERT;P7;C03;L1;WH/OUT/00001'), {
      event: { time_ms: 1_700_000_000_000, kind: 'KIND_DIVERTED', parcel_id: 'P7', chute: 'C03', lane: 'L1', picking_name: 'WH/OUT/00001' },
    });
    assert.deepEqual(toReading('1700000000000;STATUS;FAULT;jam', 'WH'), { heartbeat: { time_ms: 1_700_000_000_000, error: true, error_text: 'jam', warehouse: 'WH' } });
    assert.equal(toReading('garbage'), null);
    assert.equal(toReading('1700000000000;FROB;P1'), null);
  });
});
