import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backoffDelay, checkErpUpdate, isValidSscc, type ErpUpdate } from '@logistics-bridge/contract';
import type { Work } from '@logistics-bridge/adapter-sdk';
import {
  DEFAULT_ADAPTERS,
  Floor,
  disconnectLine,
  familiesOf,
  followWork,
  parcelSscc,
  parseWork,
  planJob,
  seededRandom,
  type Job,
  type SimUpdate,
  type WorkClient,
} from '../../../adapters/simulators';
import { buildWork } from '../../../sidecar/src/work/messages';

const ROOT = join(__dirname, '../../..');
const NOW = Date.UTC(2026, 2, 2, 6, 0, 0);

/** The work the gateway sends for a released outbound picking, built by the sidecar's own code. */
function released(id: number, name: string, lines: Array<{ barcode?: string; code?: string; qty: number; location?: string }>) {
  const work = buildWork(
    {
      shipment: { id, name, direction: 'outbound', warehouse: { code: 'WH' } },
      lines: lines.map((l, i) => ({ product: { id: 100 + i, name: `P${i}`, barcode: l.barcode ?? null, default_code: l.code ?? null }, quantity: l.qty, location: l.location ? { id: 8, barcode: l.location } : null })),
    },
    `work-${id}`,
    `corr-${id}`,
    NOW,
  );
  // As the SDK hands it over: the oneof member named in `work`.
  return {
    barcode: { work: 'expected_scans', expected_scans: work.barcode?.expected_scans } as Work,
    sorter: { work: 'sort_plan', sort_plan: work.sorter?.sort_plan } as Work,
    robot: { work: 'order', order: work.robot_fleet?.order } as Work,
  };
}

function job(w: Work): Job {
  const p = parseWork(w);
  if (!p.ok) assert.fail(`${p.path}: ${p.message}`);
  return p.job;
}

const ctx = (failRate = 0, seed = 1) => ({ deviceId: 'dev-1', rnd: seededRandom(seed), failRate, nowMs: NOW });

/** The updates as they land on `logistics.updates`, checked against the update contract Odoo applies. */
function asErp(updates: SimUpdate[]): ErpUpdate[] {
  return updates.map((u) => {
    const erp = { idempotency_key: u.idempotencyKey, type: u.type, adapter_id: 'a', device_id: u.deviceId, correlation_id: u.correlationId, event_time: new Date(u.eventTimeMs).toISOString(), payload: u.payload } as ErpUpdate;
    const check = checkErpUpdate(erp);
    assert.ok(check.ok, `${u.type} breaks the contract: ${JSON.stringify(check)}`);
    return erp;
  });
}

describe('work-following simulators (unit)', () => {
  const w = released(7, 'WH/OUT/00007', [
    { barcode: '4006381333931', qty: 3, location: 'LOC-A1' },
    { code: 'NO-BARCODE-1', qty: 2 },
  ]);

  it('barcode: confirms the work\'s products and quantities (without an Odoo id: barcode, else internal reference), then packs with a valid SSCC', () => {
    const noIds = structuredClone(w.barcode); // work from a bridge that sends no product ids
    for (const l of (noIds.expected_scans as { lines: Array<Record<string, unknown>> }).lines) delete l.product_id;
    const plan = planJob(job(noIds), ctx());
    assert.ok(plan?.ok);
    const [pick, pack, ...rest] = asErp(plan.updates);
    assert.equal(rest.length, 0);
    assert.deepEqual(pick, {
      idempotency_key: 'work-7:pick.confirmed',
      type: 'pick.confirmed',
      adapter_id: 'a',
      device_id: 'dev-1',
      correlation_id: 'corr-7',
      event_time: new Date(NOW).toISOString(),
      payload: { picking: { name: 'WH/OUT/00007' }, lines: [{ product: { barcode: '4006381333931' }, quantity: 3, location: { barcode: 'LOC-A1' } }, { product: { default_code: 'NO-BARCODE-1' }, quantity: 2 }] },
    });
    assert.equal(pack?.type, 'pack.completed');
    const packed = pack?.payload as { sscc: string; picking: unknown; lines: unknown };
    assert.ok(isValidSscc(packed.sscc), packed.sscc);
    assert.deepEqual(packed.picking, { name: 'WH/OUT/00007' });
    assert.deepEqual(packed.lines, [{ product: { barcode: '4006381333931' }, quantity: 3 }, { product: { default_code: 'NO-BARCODE-1' }, quantity: 2 }]);
  });

  it('barcode: answers with the Odoo product id when the work gives one (still valid after a barcode change)', () => {
    const plan = planJob(job(w.barcode), ctx());
    const pick = plan?.updates[0]?.payload as { lines: Array<{ product: unknown }> };
    assert.deepEqual(pick.lines.map((l) => l.product), [{ id: 100 }, { id: 101 }]);
  });

  it('sorter: sorts to the planned chute (the manual chute when the plan names none), labels with a tracking number, dispatches', () => {
    const planned = structuredClone(w.sorter);
    const entries = (planned.sort_plan as { entries: Array<Record<string, string>> }).entries;
    entries[0] = { ...entries[0], chute: 'C07', lane: 'L2', carrier: 'UPS' };
    const plan = planJob(job(planned), ctx());
    assert.ok(plan?.ok);
    const erp = asErp(plan.updates);
    assert.deepEqual(erp.map((u) => u.type), ['parcel.sorted', 'shipment.labelled', 'shipment.dispatched']);
    const sorted = erp[0]?.payload as { chute: string; lane: string; sscc: string };
    assert.equal(sorted.chute, 'C07');
    assert.equal(sorted.lane, 'L2');
    assert.equal(sorted.sscc, parcelSscc({ name: 'WH/OUT/00007' }), 'the sorter reads the SSCC the packing station printed');
    const label = erp[1]?.payload as { carrier: string; tracking_number: string };
    assert.equal(label.carrier, 'UPS');
    assert.match(label.tracking_number, /^JJD\d{18}$/);
    assert.deepEqual(erp[2]?.payload, { picking: { name: 'WH/OUT/00007' } });

    const unplanned = planJob(job(w.sorter), { ...ctx(), defaultChute: 'MAN-1' });
    assert.equal((unplanned?.updates[0]?.payload as { chute: string }).chute, 'MAN-1');
  });

  it('robot: confirms the order\'s pick actions with their parameters', () => {
    const plan = planJob(job(w.robot), ctx());
    assert.ok(plan?.ok);
    const [pick] = asErp(plan.updates);
    assert.deepEqual(pick?.payload, {
      picking: { name: 'WH/OUT/00007' },
      lines: [
        { product: { id: 100 }, quantity: 3, location: { barcode: 'LOC-A1' } },
        { product: { id: 101 }, quantity: 2 },
      ],
    });
  });

  it('every update names the picking of its work and nothing else; keys derive from the work id', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      for (const wk of [w.barcode, w.sorter, w.robot]) {
        const plan = planJob(job(wk), ctx(0.3, seed));
        for (const u of plan?.updates ?? []) {
          assert.deepEqual((u.payload as { picking?: unknown }).picking, { name: 'WH/OUT/00007' });
          assert.ok(u.idempotencyKey.startsWith('work-7:'), u.idempotencyKey);
        }
      }
    }
  });

  it('a configurable share of jobs fails with task.failed, the same for the same seed', () => {
    const outcomes = (seed: number, rate: number) => {
      const c = ctx(rate, seed); // one random source for the run, as a simulator has
      return Array.from({ length: 200 }, (_, i) => planJob(job(released(i + 1, `WH/OUT/${i + 1}`, [{ barcode: '4006381333931', qty: 1 }]).sorter), c)?.ok);
    };
    const failedShare = (o: Array<boolean | undefined>) => o.filter((ok) => !ok).length / o.length;
    assert.equal(failedShare(outcomes(9, 0)), 0);
    assert.equal(failedShare(outcomes(9, 1)), 1);
    const quarter = failedShare(outcomes(9, 0.25));
    assert.ok(quarter > 0.1 && quarter < 0.4, String(quarter));
    assert.deepEqual(outcomes(9, 0.25), outcomes(9, 0.25));
    assert.notDeepEqual(outcomes(9, 0.25), outcomes(10, 0.25));
    const failed = planJob(job(w.barcode), ctx(1));
    assert.deepEqual(asErp(failed?.updates ?? []).map((u) => [u.type, (u.payload as { code?: string }).code]), [['task.failed', 'SHORT_PICK']]);
  });

  it('work that names no picking or has no lines is refused with the field path', () => {
    const noPicking = structuredClone(w.barcode);
    (noPicking.expected_scans as { header: Record<string, unknown> }).header.picking = null;
    assert.deepEqual(parseWork(noPicking), { ok: false, path: 'expected_scans.header.picking', message: 'the work names no picking (id or name)' });
    const noLines = structuredClone(w.barcode);
    (noLines.expected_scans as { lines: unknown[] }).lines = [];
    assert.deepEqual(parseWork(noLines), { ok: false, path: 'expected_scans.lines', message: 'no lines' });
    assert.equal(parseWork({ work: 'teleport' }).ok, false);
  });

  describe('followWork', () => {
    /** A client double: work is fed in, updates are recorded. */
    function double(items: Work[]) {
      const sent: SimUpdate[] = [];
      const client: WorkClient = {
        async *work() {
          for (const i of items) yield i;
        },
        sendUpdate: async (deviceId, type, payload, opts) => {
          sent.push({ deviceId, type, payload, idempotencyKey: opts.idempotencyKey, correlationId: opts.correlationId ?? '', eventTimeMs: opts.eventTimeMs ?? 0 });
        },
        flush: async () => undefined,
      };
      return { client, sent };
    }

    it('acts only on the work it received, once per work id, skips withdrawn work and answers every item', async () => {
      const a = released(1, 'WH/OUT/00001', [{ barcode: '4006381333931', qty: 1 }]);
      const b = released(2, 'WH/OUT/00002', [{ barcode: '4006381333931', qty: 2 }]);
      const c = released(3, 'WH/OUT/00003', [{ barcode: '4006381333931', qty: 4 }]);
      const cancel = { work: 'instant_action', instant_action: { header: { work_id: 'work-2' }, action_type: 'cancelOrder', parameters: { order_id: 'work-2', reason: 'cancelled' } } } as Work;
      const broken = { work: 'order', order: { header: { work_id: 'work-9', picking: null }, order_id: 'work-9', nodes: [] } } as Work;
      // The withdrawal is read before b's order: b is never picked; a's redelivery is not picked twice.
      const { client, sent } = double([a.robot, cancel, b.robot, a.robot, broken, c.robot]);
      const acks: string[] = [];
      const stats = await followWork({ family: 'robot_fleet', client, devices: ['amr-01'], ack: (id, outcome, reason) => void acks.push(`${id} ${outcome}${reason ? ` ${reason}` : ''}`) });
      assert.deepEqual(sent.map((u) => [(u.payload as { picking: { name: string } }).picking.name, u.type]), [
        ['WH/OUT/00001', 'pick.confirmed'],
        ['WH/OUT/00003', 'pick.confirmed'],
      ]);
      assert.deepEqual(acks, [
        'work-1 accepted',
        'work-2 accepted',
        'work-2 accepted',
        'work-1 accepted',
        'work-9 refused order.header.picking: the work names no picking (id or name)',
        'work-3 accepted',
      ]);
      assert.deepEqual({ received: stats.received, done: stats.done, repeats: stats.repeats, invalid: stats.invalid }, { received: 6, done: 2, repeats: 1, invalid: 1 });
    });

    it('a sort plan removed while the parcel is on its way is not sorted, labelled or dispatched', async () => {
      const a = released(1, 'WH/OUT/00001', [{ barcode: '4006381333931', qty: 1 }]);
      const removed = { work: 'sort_plan_removed', sort_plan_removed: { header: { work_id: 'work-1', picking: { name: 'WH/OUT/00001' } }, reason: 'cancelled' } } as Work;
      const { client, sent } = double([a.sorter, removed]);
      // Alone on its floor the sorter gives the packing station a head start: the removal arrives first.
      const stats = await followWork({ family: 'sorter', client, devices: ['s'], speed: 1, stepMs: 5 });
      assert.deepEqual(sent, []);
      assert.equal(stats.withdrawn >= 1, true);
    });

    it('on one floor, the sorter waits for the packing station and skips a picking whose pick failed', async () => {
      const floor = new Floor(['barcode', 'sorter'], 5_000);
      const a = released(1, 'WH/OUT/00001', [{ barcode: '4006381333931', qty: 1 }]);
      const sorter = double([a.sorter]);
      const scanner = double([a.barcode]);
      const sorting = followWork({ family: 'sorter', client: sorter.client, devices: ['s'], floor });
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(sorter.sent.length, 0, 'sorted before it was packed');
      await followWork({ family: 'barcode', client: scanner.client, devices: ['sc'], floor });
      await sorting;
      assert.deepEqual(sorter.sent.map((u) => u.type), ['parcel.sorted', 'shipment.labelled', 'shipment.dispatched']);

      const failingFloor = new Floor(['barcode', 'sorter'], 5_000);
      const s2 = double([a.sorter]);
      await followWork({ family: 'barcode', client: double([a.barcode]).client, devices: ['sc'], floor: failingFloor, failRate: 1 });
      await followWork({ family: 'sorter', client: s2.client, devices: ['s'], floor: failingFloor });
      assert.deepEqual(s2.sent, [], 'a picking whose pick failed is not dispatched');
    });
  });

  describe('defaults', () => {
    it('the default adapter ids and tokens are those of deploy/gateway-tokens.example.json', () => {
      const file = JSON.parse(readFileSync(join(ROOT, 'deploy/gateway-tokens.example.json'), 'utf8')) as Record<string, { token: string; family: string }>;
      for (const [family, d] of Object.entries(DEFAULT_ADAPTERS)) {
        assert.deepEqual(file[d.adapterId] && { token: file[d.adapterId]?.token, family: file[d.adapterId]?.family }, { token: d.token, family }, `${family}: ${d.adapterId}`);
      }
    });

    it('a disconnect never prints a negative delay: a fatal one says it will not reconnect', () => {
      const fatal = disconnectLine({ code: 16, details: 'the token does not belong to hello.adapter_id', reconnectInMs: -1 });
      assert.doesNotMatch(fatal, /-\d/);
      assert.match(fatal, /UNAUTHENTICATED.*not reconnecting/);
      assert.equal(disconnectLine({ code: 14, details: 'down', reconnectInMs: 250 }), 'disconnected (UNAVAILABLE: down); reconnecting in 250 ms');
      for (let attempt = -3; attempt < 40; attempt++) {
        for (const r of [0, 0.5, 0.999999]) assert.ok(backoffDelay(attempt, { baseMs: 250, maxMs: 15_000 }, () => r) >= 0);
      }
    });

    it('families on the command line: one, a list or all; anything else is refused', () => {
      assert.deepEqual(familiesOf('robot-fleet'), ['robot_fleet']);
      assert.deepEqual(familiesOf('barcode,sorter'), ['barcode', 'sorter']);
      assert.deepEqual(familiesOf('all'), ['robot_fleet', 'barcode', 'sorter']);
      assert.equal(familiesOf('barcode,forklift'), undefined);
    });
  });
});
