import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import type { BarcodeTelemetryMsg, ErpUpdate, ParsedEnvelope, RobotFleetTelemetryMsg, RobotStateMsg, ScanReadingMsg, SorterEventMsg, SorterTelemetryMsg } from '@logistics-bridge/contract';
import { createRelevance, ScanDebouncer } from '../../../sidecar/src/devices/relevance';

const T0 = Date.UTC(2026, 0, 15, 8, 0, 0);
const SSCC_A = '106141411234567897';
const SSCC_B = '006141411234567890';

let seq = 0;
function envelope(deviceId: string, timeMs: number): ParsedEnvelope {
  seq += 1;
  return { adapterId: 'ad-1', deviceId, sequence: seq, idempotencyKey: '', correlationId: null, eventTimeMs: timeMs };
}
function scanMsg(deviceId: string, scans: Array<Partial<ScanReadingMsg> & { time_ms: number }>): BarcodeTelemetryMsg {
  return {
    envelope: envelope(deviceId, scans[0]?.time_ms ?? T0),
    readings: scans.map((s) => ({ reading: 'scan', scan: { data: '', mode: 'SCAN_MODE_PICK', picking_name: 'WH/OUT/00012', ...s, time_ms: String(s.time_ms) } })),
  };
}
function sorterMsg(events: Array<Partial<SorterEventMsg> & { time_ms: number; kind: string }>): SorterTelemetryMsg {
  return { envelope: envelope('sorter-1', events[0]?.time_ms ?? T0), readings: events.map((e) => ({ reading: 'event', event: { ...e, time_ms: String(e.time_ms) } })) };
}
function robotMsg(states: RobotStateMsg[]): RobotFleetTelemetryMsg {
  return { envelope: envelope('fleet-1', Number(states[0]?.time_ms ?? T0)), readings: states.map((state) => ({ reading: 'state', state })) };
}
const statusOf = (u: ErpUpdate | undefined): string => (u?.type === 'device.status' ? u.payload.status : `not a status: ${u?.type}`);
function heartbeatMsg(deviceId: string, timeMs: number, error = false): SorterTelemetryMsg {
  return { envelope: envelope(deviceId, timeMs), readings: [{ reading: 'heartbeat', heartbeat: { device_id: deviceId, time_ms: String(timeMs), error, error_text: error ? 'jam at chute 4' : '', warehouse: 'WH' } }] };
}

describe('ERP relevance', () => {
  beforeEach(() => {
    seq = 0;
  });

  describe('double-scan debounce', () => {
    it('drops the same code from the same device within the window, sliding while the trigger is held', () => {
      const d = new ScanDebouncer(500);
      assert.equal(d.isRepeat('s1', 'A', 0), false);
      assert.equal(d.isRepeat('s1', 'A', 100), true);
      assert.equal(d.isRepeat('s1', 'A', 550), true, 'held trigger: each repeat restarts the window');
      assert.equal(d.isRepeat('s2', 'A', 560), false, 'another scanner is another scan');
      assert.equal(d.isRepeat('s1', 'B', 570), false, 'another code is another scan');
      assert.equal(d.isRepeat('s1', 'A', 1200), false, 'human pace rescan counts');
    });

    it('stays bounded', () => {
      const d = new ScanDebouncer(500, 100);
      for (let i = 0; i < 10_000; i += 1) d.isRepeat('s1', `code-${i}`, i);
      assert.ok(d.size <= 100);
    });
  });

  describe('scanner sessions', () => {
    it('turns a pick session with a double scan and a bad check digit into one pick.confirmed', () => {
      const rel = createRelevance({ family: 'barcode' });
      const out: ErpUpdate[] = [];
      out.push(...rel.ingest(scanMsg('scanner-7', [{ time_ms: T0, data: ']C10104006381333931' + '10L1', location_barcode: 'A-01' }]), T0));
      out.push(...rel.ingest(scanMsg('scanner-7', [{ time_ms: T0 + 80, data: ']C10104006381333931' + '10L1', location_barcode: 'A-01' }]), T0));
      out.push(...rel.ingest(scanMsg('scanner-7', [{ time_ms: T0 + 2000, data: '4006381333932' }]), T0));
      out.push(...rel.ingest(scanMsg('scanner-7', [{ time_ms: T0 + 4000, data: ']C10104006381333931' + '10L1', location_barcode: 'A-01' }]), T0));
      assert.equal(out.length, 0);
      const done = rel.ingest(scanMsg('scanner-7', [{ time_ms: T0 + 6000, data: '96385074', quantity: 3, confirmed: true }]), T0);
      assert.equal(done.length, 1);
      const update = done[0] as ErpUpdate;
      assert.equal(update.type, 'pick.confirmed');
      assert.deepEqual(update.payload, {
        picking: { name: 'WH/OUT/00012' },
        lines: [
          { product: { barcode: '4006381333931' }, quantity: 2, lot: 'L1', location: { barcode: 'A-01' } },
          { product: { barcode: '96385074' }, quantity: 3 },
        ],
      });
      assert.equal(update.event_time, new Date(T0 + 6000).toISOString());
      assert.equal(update.idempotency_key, `ad-1:scanner-7:pick.confirmed:WH/OUT/00012:${T0 + 6000}`);
      assert.equal(rel.counters.dropped.duplicate_scan, 1);
      assert.equal(rel.counters.dropped.invalid_barcode, 1);
    });

    it('drops a wrong item when the picking expects other products', () => {
      const rel = createRelevance();
      rel.rememberWork({ expected_scans: { header: { picking: { name: 'WH/OUT/00012' } }, lines: [{ product_barcode: '4006381333931' }] } });
      rel.ingest(scanMsg('s1', [{ time_ms: T0, data: '96385074' }]), T0);
      const done = rel.ingest(scanMsg('s1', [{ time_ms: T0 + 1500, data: '4006381333931', confirmed: true }]), T0);
      assert.equal(rel.counters.dropped.unexpected_item, 1);
      assert.deepEqual(done.map((u) => u.payload), [{ picking: { name: 'WH/OUT/00012' }, lines: [{ product: { barcode: '4006381333931' }, quantity: 1 }] }]);
    });

    it('packs with the SSCC and weight from the label', () => {
      const rel = createRelevance();
      const mode = 'SCAN_MODE_PACK';
      rel.ingest(scanMsg('s1', [{ time_ms: T0, data: '4006381333931', mode }]), T0);
      const done = rel.ingest(scanMsg('s1', [{ time_ms: T0 + 3000, data: `(00)${SSCC_A}(3102)001520`, mode, confirmed: true }]), T0);
      assert.deepEqual(done.map((u) => [u.type, u.payload]), [
        ['pack.completed', { picking: { name: 'WH/OUT/00012' }, sscc: SSCC_A, weight_kg: 15.2, lines: [{ product: { barcode: '4006381333931' }, quantity: 1 }] }],
      ]);
    });

    it('cycle counts yield one inventory.counted per product and location', () => {
      const rel = createRelevance();
      const mode = 'SCAN_MODE_COUNT';
      rel.ingest(scanMsg('s1', [{ time_ms: T0, data: '4006381333931', mode, picking_name: '', location_barcode: 'B-02', quantity: 10 }]), T0);
      const done = rel.ingest(scanMsg('s1', [{ time_ms: T0 + 3000, data: '96385074', mode, picking_name: '', location_barcode: 'B-02', confirmed: true }]), T0);
      assert.deepEqual(done.map((u) => u.type), ['inventory.counted', 'inventory.counted']);
      assert.deepEqual(done[0]?.payload, { product: { barcode: '4006381333931' }, location: { barcode: 'B-02' }, quantity: 10 });
      assert.notEqual(done[0]?.idempotency_key, done[1]?.idempotency_key);
    });

    it('a confirming scan of the picking document closes the session without adding a product', () => {
      const rel = createRelevance();
      rel.ingest(scanMsg('s1', [{ time_ms: T0, data: '96385074' }]), T0);
      const done = rel.ingest(scanMsg('s1', [{ time_ms: T0 + 1500, data: 'WH/OUT/00012', confirmed: true }]), T0);
      assert.deepEqual(done.map((u) => u.payload), [{ picking: { name: 'WH/OUT/00012' }, lines: [{ product: { barcode: '96385074' }, quantity: 1 }] }]);
    });
  });

  describe('robot fleet', () => {
    function state(timeMs: number, over: Partial<RobotStateMsg>): RobotStateMsg {
      return {
        time_ms: String(timeMs),
        robot_id: 'amr-1',
        order_id: 'ord-1',
        task_id: 'task-1',
        picking_name: 'WH/OUT/00012',
        driving: false,
        battery_charge: 80,
        agv_position: { x: 0, y: 0, theta: 0, map_id: 'm', position_initialized: true },
        action_states: [{ action_id: 'pick-1', action_type: 'pick', action_status: 'ACTION_STATUS_WAITING', result_description: '' }],
        errors: [],
        ...over,
      };
    }

    it('collapses a 10 Hz state stream into one pick.confirmed', () => {
      const rel = createRelevance({ family: 'robot_fleet' });
      const updates: ErpUpdate[] = [];
      let t = T0;
      // 30 s of driving (300 states), 5 s picking, then 20 s of reporting the finished order.
      for (let i = 0; i < 300; i += 1, t += 100) {
        updates.push(...rel.ingest(robotMsg([state(t, { driving: true, agv_position: { x: i / 10, y: 0 }, battery_charge: 80 - i / 100 })]), t));
      }
      for (let i = 0; i < 50; i += 1, t += 100) {
        updates.push(...rel.ingest(robotMsg([state(t, { action_states: [{ action_id: 'pick-1', action_type: 'pick', action_status: 'ACTION_STATUS_RUNNING' }] })]), t));
      }
      const finished = [{ action_id: 'pick-1', action_type: 'pick', action_status: 'ACTION_STATUS_FINISHED', result_description: 'product_barcode=4006381333931;quantity=2;lot=L9;location_barcode=A-01' }];
      for (let i = 0; i < 200; i += 1, t += 100) updates.push(...rel.ingest(robotMsg([state(t, { action_states: finished })]), t));
      assert.equal(rel.counters.readings, 550);
      assert.deepEqual(updates.map((u) => [u.type, u.idempotency_key]), [['pick.confirmed', 'ad-1:task:task-1:completed']]);
      assert.deepEqual(updates[0]?.payload, {
        picking: { name: 'WH/OUT/00012' },
        lines: [{ product: { barcode: '4006381333931' }, quantity: 2, lot: 'L9', location: { barcode: 'A-01' } }],
      });
      assert.ok(rel.counters.dropped.robot_position >= 290);
      assert.ok(rel.counters.dropped.robot_unchanged >= 190);
    });

    it('uses the remembered order for lines and correlation id when the robot does not report them', () => {
      const rel = createRelevance();
      rel.rememberWork({
        order: {
          order_id: 'ord-1',
          header: { work_id: 'task-1', correlation_id: 'corr-9', picking: { ref: 'name', name: 'WH/OUT/00012' } },
          nodes: [{ node_id: 'n1', location_barcode: 'A-07', actions: [{ action_id: 'pick-1', action_type: 'pick', parameters: { product_barcode: '96385074', quantity: '4' } }] }],
        },
      });
      const out = rel.ingest(robotMsg([state(T0, { picking_name: '', action_states: [{ action_id: 'pick-1', action_type: 'pick', action_status: 'ACTION_STATUS_FINISHED' }] })]), T0);
      assert.equal(out.length, 1);
      assert.equal(out[0]?.correlation_id, 'corr-9');
      assert.deepEqual(out[0]?.payload, { picking: { name: 'WH/OUT/00012' }, lines: [{ product: { barcode: '96385074' }, quantity: 4, location: { barcode: 'A-07' } }] });
    });

    it('reports a failure once with the VDA 5050 error type as code', () => {
      const rel = createRelevance();
      const failed = state(T0, { errors: [{ error_type: 'gripperFault', error_level: 'LEVEL_FATAL', error_description: 'gripper lost vacuum' }] });
      const out = [...rel.ingest(robotMsg([failed, failed, failed]), T0)];
      assert.deepEqual(out.map((u) => [u.type, u.payload]), [['task.failed', { reason: 'gripper lost vacuum', code: 'gripperFault', picking: { name: 'WH/OUT/00012' } }]]);
    });

    it('a short block is no event; a long one becomes task.failed once, also when noticed on a tick', () => {
      const rel = createRelevance({ blockedAfterMs: 10_000 });
      const blocked = (t: number) => state(t, { errors: [{ error_type: 'blocked', error_level: 'LEVEL_WARNING', error_description: 'obstacle in aisle 4' }] });
      const out: ErpUpdate[] = [];
      for (let t = T0; t < T0 + 5_000; t += 100) out.push(...rel.ingest(robotMsg([blocked(t)]), t));
      out.push(...rel.ingest(robotMsg([state(T0 + 5_100, { driving: true })]), T0 + 5_100));
      assert.equal(out.length, 0, 'a 5 s block that clears is not an ERP event');
      out.push(...rel.ingest(robotMsg([blocked(T0 + 6_000)]), T0 + 6_000));
      out.push(...rel.tick(T0 + 15_000));
      out.push(...rel.tick(T0 + 17_000));
      out.push(...rel.ingest(robotMsg([blocked(T0 + 17_100)]), T0 + 17_100));
      assert.deepEqual(out.map((u) => [u.type, u.idempotency_key, u.event_time]), [['task.failed', 'ad-1:task:task-1:blocked', new Date(T0 + 6_000).toISOString()]]);
    });
  });

  describe('sorter', () => {
    it('sorts each SSCC once, coalescing recirculations and repeated divert confirmations', () => {
      const rel = createRelevance({ maxRecirculations: 3 });
      const out = rel.ingest(
        sorterMsg([
          { time_ms: T0, kind: 'KIND_INDUCTED', parcel_id: 'p1', induction: 'I1' },
          { time_ms: T0 + 500, kind: 'KIND_SCANNED', parcel_id: 'p1', barcode: `]C100${SSCC_A}`, picking_name: 'WH/OUT/00012' },
          { time_ms: T0 + 9_000, kind: 'KIND_RECIRCULATED', parcel_id: 'p1', reason: 'chute full' },
          { time_ms: T0 + 40_000, kind: 'KIND_DIVERTED', parcel_id: 'p1', chute: 'C07', lane: 'L2' },
          { time_ms: T0 + 40_050, kind: 'KIND_DIVERTED', parcel_id: 'p1', chute: 'C07', lane: 'L2' },
          { time_ms: T0 + 41_000, kind: 'KIND_NO_READ', parcel_id: 'p2' },
          { time_ms: T0 + 42_000, kind: 'KIND_DIVERTED', parcel_id: 'p2', chute: 'REJECT' },
        ]),
        T0,
      );
      assert.deepEqual(out.map((u) => [u.type, u.idempotency_key, u.payload]), [
        ['parcel.sorted', `ad-1:parcel.sorted:${SSCC_A}`, { sscc: SSCC_A, chute: 'C07', lane: 'L2', picking: { name: 'WH/OUT/00012' } }],
      ]);
      assert.equal(rel.counters.noReads, 1);
      assert.equal(rel.counters.dropped.recirculation, 1);
      assert.equal(rel.counters.dropped.duplicate_divert, 1);
    });

    it('a parcel that recirculates past the limit becomes task.failed, once', () => {
      const rel = createRelevance({ maxRecirculations: 2 });
      const events = [{ time_ms: T0, kind: 'KIND_SCANNED', parcel_id: 'p9', sscc: SSCC_B }];
      for (let i = 1; i <= 5; i += 1) events.push({ time_ms: T0 + i * 30_000, kind: 'KIND_RECIRCULATED', parcel_id: 'p9', sscc: SSCC_B });
      const out = rel.ingest(sorterMsg(events), T0);
      assert.deepEqual(out.map((u) => [u.type, u.payload]), [['task.failed', { reason: `parcel ${SSCC_B} recirculated 3 times`, code: 'RECIRCULATION_LIMIT' }]]);
      assert.equal(out[0]?.event_time, new Date(T0 + 90_000).toISOString());
    });

    it('treats an SSCC with a wrong check digit as a no-read', () => {
      const rel = createRelevance();
      const out = rel.ingest(sorterMsg([{ time_ms: T0, kind: 'KIND_DIVERTED', sscc: '106141411234567898', chute: 'C1' }]), T0);
      assert.deepEqual(out, []);
    });
  });

  describe('heartbeats', () => {
    it('reports changes only: online once, error and recovery, offline after silence', () => {
      const rel = createRelevance({ family: 'sorter', offlineAfterMs: 30_000 });
      const out: ErpUpdate[] = [];
      let t = T0;
      for (let i = 0; i < 30; i += 1, t += 10_000) out.push(...rel.ingest(heartbeatMsg('sorter-1', t), t), ...rel.tick(t));
      assert.deepEqual(out.map((u) => u.payload), [{ status: 'online', family: 'sorter', warehouse: 'WH' }], 'one row for 30 heartbeats');
      // Flapping: error, ok, error, ok: one update per real change.
      for (const error of [true, true, false, true, false, false]) {
        out.push(...rel.ingest(heartbeatMsg('sorter-1', t, error), t), ...rel.tick(t));
        t += 10_000;
      }
      assert.deepEqual(out.slice(1).map(statusOf), ['error', 'online', 'error', 'online']);
      assert.equal(out[1]?.type === 'device.status' && out[1].payload.error, 'jam at chute 4');
      // Silence.
      const lastBeat = t - 10_000;
      assert.deepEqual(rel.tick(lastBeat + 29_000), []);
      const offline = rel.tick(lastBeat + 31_000);
      assert.deepEqual(offline.map((u) => [statusOf(u), u.event_time]), [['offline', new Date(lastBeat + 30_000).toISOString()]]);
      assert.deepEqual(rel.tick(lastBeat + 90_000), [], 'offline is reported once');
      const back = rel.ingest(heartbeatMsg('sorter-1', lastBeat + 95_000), lastBeat + 95_000);
      assert.deepEqual(back.map(statusOf), ['online']);
      assert.equal(new Set(out.concat(offline, back).map((u) => u.idempotency_key)).size, out.length + 2, 'distinct keys per change');
    });
  });

  describe('replay determinism', () => {
    it('the same telemetry stream yields the same updates and keys (property)', () => {
      const kinds = ['KIND_SCANNED', 'KIND_DIVERTED', 'KIND_RECIRCULATED', 'KIND_NO_READ', 'KIND_INDUCTED'];
      const ssccs = [SSCC_A, SSCC_B, '000000000000000017'];
      const event = fc.record({ kind: fc.constantFrom(...kinds), sscc: fc.constantFrom(...ssccs, ''), chute: fc.constantFrom('C1', 'C2', ''), dt: fc.nat(5_000) });
      fc.assert(
        fc.property(fc.array(fc.array(event, { minLength: 1, maxLength: 5 }), { maxLength: 40 }), (batches) => {
          const run = () => {
            seq = 0;
            const rel = createRelevance({ maxRecirculations: 1 });
            let t = T0;
            const updates: ErpUpdate[] = [];
            for (const batch of batches) {
              const events = batch.map((e) => {
                t += e.dt;
                return { time_ms: t, kind: e.kind, sscc: e.sscc, chute: e.chute };
              });
              updates.push(...rel.ingest(sorterMsg(events), t));
            }
            return { updates, counters: rel.counters };
          };
          const { updates: first, counters } = run();
          assert.deepEqual(run().updates, first);
          // At most one parcel.sorted and one task.failed per SSCC, whatever the stream.
          const keys = first.map((u) => u.idempotency_key);
          assert.equal(new Set(keys).size, keys.length);
          // Every sorter reading is accounted for exactly once: an update out or a counted drop.
          const dropped = Object.values(counters.dropped).reduce((a, b) => a + b, 0);
          assert.equal(counters.updates + dropped, counters.readings);
        }),
        { numRuns: 300 },
      );
    });
  });
});
