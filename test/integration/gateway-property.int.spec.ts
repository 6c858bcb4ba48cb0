import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { clientFor, hello, readQueue, sscc, startGateway, TestStream, tokenOf, type GatewayFixture } from '../support/gateway';

/**
 * Invariant 4 under generated input: thousands of malformed updates mixed with valid ones on one
 * stream. Every malformed one is answered INVALID_ARGUMENT naming the broken field, every valid one is
 * acked and is on logistics.updates exactly once, and the stream survives all of it.
 */

const ADAPTER = 'scan-a';
const text = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ./-]{0,20}$/);
const gtin = fc.stringMatching(/^[0-9]{13}$/);
const qty = fc.double({ min: 0.001, max: 100_000, noNaN: true, noDefaultInfinity: true });
const pickingRef = fc.oneof(fc.integer({ min: 1, max: 1_000_000 }).map((id) => ({ id })), text.map((name) => ({ name })));
const productRef = fc.oneof(fc.integer({ min: 1, max: 1_000_000 }).map((id) => ({ id })), gtin.map((barcode) => ({ barcode })), text.map((default_code) => ({ default_code })));
const ssccArb = fc.stringMatching(/^[0-9]{17}$/).map(sscc);

type Payload = { case: string; body: Record<string, unknown> };
const validPayload: fc.Arbitrary<Payload> = fc.oneof(
  fc.record({ sscc: ssccArb, chute: text, lane: fc.constantFrom('', 'L1'), picking: fc.option(pickingRef, { nil: null }) }).map((body) => ({ case: 'parcel_sorted', body })),
  fc.record({ picking: pickingRef, lines: fc.array(fc.record({ product: productRef, quantity: qty, lot: fc.constantFrom('', 'LOT-1') }), { minLength: 1, maxLength: 4 }) }).map((body) => ({ case: 'pick_confirmed', body })),
  fc.record({ status: fc.constantFrom('STATUS_ONLINE', 'STATUS_OFFLINE', 'STATUS_ERROR'), family: fc.constantFrom('FAMILY_UNSPECIFIED', 'FAMILY_BARCODE'), warehouse: fc.constantFrom('', 'WH') }).map((body) => ({ case: 'device_status', body })),
  fc.record({ product: productRef, location: fc.oneof(text.map((name) => ({ name })), fc.integer({ min: 1, max: 999 }).map((id) => ({ id }))), quantity: fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true }) }).map((body) => ({ case: 'inventory_counted', body })),
  fc.record({ picking: pickingRef, carrier: text, tracking_number: text }).map((body) => ({ case: 'shipment_labelled', body })),
);

/** A way to break a valid message, and the field path the gateway must name. */
interface Breakage {
  apply(msg: { envelope: Record<string, unknown>; [k: string]: unknown }, p: Payload): string | null;
}
const breakages: Breakage[] = [
  { apply: (m) => ((m.envelope.idempotency_key = ''), 'update.envelope.idempotency_key') },
  { apply: (m) => ((m.envelope.idempotency_key = 'has spaces in it'), 'update.envelope.idempotency_key') },
  { apply: (m) => ((m.envelope.event_time_ms = '0'), 'update.envelope.event_time_ms') },
  { apply: (m) => ((m.envelope.device_id = ''), 'update.envelope.device_id') },
  { apply: (m) => ((m.envelope.adapter_id = ''), 'update.envelope.adapter_id') },
  { apply: (m, p) => (delete m[p.case], 'update.payload') },
  {
    apply: (m, p) => {
      const b = m[p.case] as Record<string, unknown>;
      switch (p.case) {
        case 'parcel_sorted': {
          const s = String(b.sscc);
          b.sscc = s.slice(0, 17) + String((Number(s[17]) + 1) % 10);
          return 'update.parcel_sorted.sscc';
        }
        case 'pick_confirmed': {
          const lines = b.lines as Array<Record<string, unknown>>;
          const i = lines.length - 1;
          (lines[i] as Record<string, unknown>).quantity = -1;
          return `update.pick_confirmed.lines[${i}].quantity`;
        }
        case 'device_status':
          b.status = 'STATUS_UNSPECIFIED';
          return 'update.device_status.status';
        case 'inventory_counted':
          b.location = null;
          return 'update.inventory_counted.location';
        case 'shipment_labelled':
          b.carrier = '';
          return 'update.shipment_labelled.carrier';
        default:
          return null;
      }
    },
  },
  {
    apply: (m, p) => {
      if (p.case !== 'pick_confirmed') return null;
      (m[p.case] as Record<string, unknown>).lines = [];
      return 'update.pick_confirmed.lines';
    },
  },
  {
    apply: (m, p) => {
      if (p.case !== 'pick_confirmed') return null;
      const line = ((m[p.case] as Record<string, unknown>).lines as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
      line.product = {};
      return 'update.pick_confirmed.lines[0].product.ref';
    },
  },
];

const entry = fc.record({ payload: validPayload, breakage: fc.option(fc.integer({ min: 0, max: breakages.length - 1 }), { freq: 2, nil: undefined }) });

describe('device gateway: generated malformed and valid messages', function () {
  this.timeout(120_000);
  let fx: GatewayFixture;
  before(async () => {
    fx = await startGateway();
  });
  after(async () => {
    await fx.stop();
  });

  it('rejects every malformed message with INVALID_ARGUMENT and its field path, and makes every valid one durable', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 600, maxLength: 900 }), async (entries) => {
        run += 1;
        const stream = `prop-${run}-${Date.now()}`;
        const s = new TestStream(clientFor('barcode', fx.port), tokenOf(ADAPTER));
        s.send(hello(ADAPTER, 'barcode', stream));
        const expectedPath = new Map<number, string>();
        const valid = new Set<string>();
        entries.forEach((e, i) => {
          const seq = i + 1;
          const key = `${stream}:${seq}`;
          const msg: { envelope: Record<string, unknown>; [k: string]: unknown } = {
            envelope: { adapter_id: ADAPTER, device_id: 'gun-1', sequence: String(seq), idempotency_key: key, correlation_id: '', event_time_ms: String(1_767_225_600_000 + seq) },
            [e.payload.case]: structuredClone(e.payload.body),
          };
          const path = e.breakage === undefined ? null : (breakages[e.breakage] as Breakage).apply(msg, e.payload);
          if (path) expectedPath.set(seq, path);
          else valid.add(key);
          s.send({ update: msg });
        });
        assert.ok(expectedPath.size > 100 && valid.size > 100, `a mix is generated (${expectedPath.size} malformed, ${valid.size} valid)`);
        await s.until(() => s.answers().length === entries.length, 60_000);
        assert.equal(s.status, undefined, 'the stream must survive malformed input');
        for (const a of s.answers()) {
          const path = expectedPath.get(a.seq);
          if (path) {
            assert.equal(a.kind, 'reject', `sequence ${a.seq} should be rejected at ${path}`);
            assert.equal(a.msg.status, 'INVALID_ARGUMENT');
            assert.equal(a.msg.field_path, path);
          } else {
            assert.equal(a.kind, 'ack', `sequence ${a.seq} is valid but got ${JSON.stringify(a.msg)}`);
          }
        }
        const onQueue = await readQueue(fx.queue, valid.size, 20_000);
        const ids = onQueue.map((m) => String(m.properties.messageId));
        assert.equal(new Set(ids).size, ids.length, 'no duplicates');
        assert.deepEqual(new Set(ids), valid);
        s.close();
      }),
      { numRuns: 4, seed: Number(process.env.FC_SEED ?? 20261126) },
    );
  });
});
