import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { fastTelemetryEnvelope, loadServices, parseAdapterMessage, type Family } from '@logistics-bridge/contract';
import { robotFleetTraffic, telemetryMessages } from '../../support/device-traffic';

/** What the gateway's deserializer makes of a message: encoded and decoded by the real service definition. */
function wire(family: Family, msg: unknown): Record<string, unknown> {
  const m = loadServices()[family].Connect;
  if (!m) throw new Error('no Connect');
  return m.requestDeserialize(m.requestSerialize(msg)) as Record<string, unknown>;
}

const env = (seq: number) => ({ adapter_id: 'a-1', device_id: 'dev-1', sequence: String(seq), idempotency_key: '', correlation_id: 'c-1', event_time_ms: '1767225600000' });

function samples(): Array<[Family, Record<string, unknown>]> {
  const robots = telemetryMessages('fleet-a', 'fleet-1', robotFleetTraffic('fleet-a', { robots: 3, seconds: 8, taskSeconds: 2, failEvery: 2 }).readings, 7).map(
    (m) => ['robot_fleet', wire('robot_fleet', m)] as [Family, Record<string, unknown>],
  );
  const scan = { time_ms: '1767225600001', data: '(00)340123450000000018', symbology: 'gs1-128', mode: 'SCAN_MODE_PACK', picking_name: 'WH/OUT/1', quantity: 1, device_id: 'scanner-2', confirmed: true };
  const event = { time_ms: '1767225600001', kind: 'KIND_DIVERTED', parcel_id: 'p1', sscc: '340123450000000018', chute: 'C1', lane: 'L1', weight_kg: 1.5, device_id: 'sorter-1' };
  const heartbeat = { device_id: 'dev-1', time_ms: '1767225600002', error: false, warehouse: 'WH' };
  return [
    ...robots,
    ['barcode', wire('barcode', { telemetry: { envelope: env(1), readings: [{ scan }, { heartbeat }] } })],
    ['sorter', wire('sorter', { telemetry: { envelope: env(2), readings: [{ event }, { heartbeat }] } })],
  ];
}

/** Every (path, container) of leaves and sub-objects in a message, to mutate one of them. */
function paths(v: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof v !== 'object' || v === null) return [prefix];
  const out: Array<Array<string | number>> = prefix.length ? [prefix] : [];
  for (const [k, c] of Object.entries(v)) out.push(...paths(c, [...prefix, Array.isArray(v) ? Number(k) : k]));
  return out;
}

function mutate(msg: Record<string, unknown>, path: Array<string | number>, value: unknown): Record<string, unknown> {
  const copy = structuredClone(msg);
  let at: Record<string | number, unknown> = copy;
  for (const p of path.slice(0, -1)) at = at[p] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

describe('gateway validation fast path', () => {
  it('accepts the common valid telemetry of every family with exactly the envelope zod parses', () => {
    for (const [family, msg] of samples()) {
      const fast = fastTelemetryEnvelope(family, msg);
      const parsed = parseAdapterMessage(family, msg);
      assert.ok(fast, `fast path refused a valid ${family} message`);
      assert.equal(parsed.kind, 'telemetry');
      if (parsed.kind === 'telemetry') assert.deepEqual(fast, parsed.envelope);
    }
  });

  it('never accepts a message the zod schema refuses (property: one field of a valid message mutated)', () => {
    const all = samples();
    const odd = fc.oneof(
      fc.constantFrom<unknown>(undefined, null, '', ' ', '-1', '0', '1.5', 'x'.repeat(5000), 'KIND_UNSPECIFIED', 'ACTION_STATUS_BOGUS', -1, 0, 101, 1.5, Number.NaN, Infinity, 2 ** 60, true, false, [], {}, [{}]),
      fc.string({ maxLength: 30 }),
      fc.double(),
      fc.integer(),
    );
    fc.assert(
      fc.property(fc.nat(all.length - 1), fc.nat(), odd, (i, j, value) => {
        const [family, msg] = all[i] as [Family, Record<string, unknown>];
        const ps = paths(msg);
        const bad = mutate(msg, ps[j % ps.length] as Array<string | number>, value);
        const fast = fastTelemetryEnvelope(family, bad);
        if (!fast) return;
        let parsed;
        try {
          parsed = parseAdapterMessage(family, bad);
        } catch (err) {
          assert.fail(`fast path accepted what zod refuses: ${String(err)} at ${ps[j % ps.length]?.join('.')} = ${String(value)}`);
        }
        assert.equal(parsed.kind, 'telemetry');
        if (parsed.kind === 'telemetry') assert.deepEqual(fast, parsed.envelope);
      }),
      { numRuns: 3000 },
    );
  });
});
