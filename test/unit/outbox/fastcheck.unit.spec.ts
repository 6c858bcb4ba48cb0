import assert from 'node:assert/strict';
import fc from 'fast-check';
import { z } from 'zod';
import { outboxEventSchema, parseRows, PAYLOAD_SCHEMAS } from '../../../sidecar/src/outbox';
import { compileCheck } from '../../../sidecar/src/outbox/fastcheck';
import { productChanged } from '../../support/outbox-sql';
import { event, SHIPMENT } from './fixtures';

const LINE = { line_id: 4, product: { id: 3, default_code: 'DESK', barcode: '0123', name: 'Desk' }, quantity: 2, uom: 'Units', lot: null, quantity_done: 1.5, location: null };
const ORDER = {
  order: { id: 12, name: 'S00012', kind: 'sale', state: 'sale', date: '2026-11-26T10:00:00Z', client_ref: null, partner: { id: 9, ref: 'C9', city: 'Lyon', country_code: 'FR' }, warehouse: { id: 1 }, company_id: 1 },
  lines: [LINE, { ...LINE, line_id: 5, expected_date: '2026-11-27' }],
};
const INVENTORY = { inventory: { product: LINE.product, location: { id: 8, name: 'WH/Stock', barcode: null }, lot: null, counted_quantity: 5, difference: -1, uom: 'Units', date: null } };
const PAYLOADS: Record<string, unknown> = {
  'sale.order.confirmed': ORDER,
  'purchase.order.confirmed': { ...ORDER, order: { ...ORDER.order, kind: 'purchase' } },
  'stock.picking.ready': { ...SHIPMENT, shipment: { ...SHIPMENT.shipment, sort_destination: { chute: 'C11', lane: null, rule: 3 } } },
  'stock.picking.withdrawn': {
    shipment: { id: 7, name: 'WH/OUT/00007', direction: 'outbound', warehouse: 'WH' },
    reason: 'cancelled',
    voids: ['00000000-0000-4000-8000-000000000007'],
  },
  'stock.picking.done': { ...SHIPMENT, lines: [LINE] },
  'stock.inventory.adjusted': INVENTORY,
  'product.changed': JSON.parse(productChanged(42, 1)),
};

/** Every path to a leaf or a sub-object, to replace or delete one of them. */
function paths(v: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof v !== 'object' || v === null) return [prefix];
  const out: Array<Array<string | number>> = prefix.length ? [prefix] : [];
  for (const [k, c] of Object.entries(v)) out.push(...paths(c, [...prefix, Array.isArray(v) ? Number(k) : k]));
  return out;
}

function mutate(value: unknown, path: Array<string | number>, to: unknown): unknown {
  if (!path.length) return to;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let at = copy;
  for (const p of path.slice(0, -1)) at = at[p] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (to === undefined) delete at[last];
  else at[last] = to;
  return copy;
}

const odd = fc.oneof(
  fc.constantFrom<unknown>(undefined, null, '', ' ', 'sale', 'purchase', 'inbound', 'sideways', -1, 0, 1, 1.5, -0.5, 2 ** 53, Number.NaN, Infinity, true, false, [], {}, [{}], { id: 1 }),
  fc.string({ maxLength: 12 }),
  fc.double(),
  fc.integer(),
  fc.jsonValue({ maxDepth: 2 }),
);

describe('compiled payload and row checks (unit)', () => {
  it('compiles every payload schema and the row schema (else the relay silently falls back to zod for all)', () => {
    for (const [version, byType] of Object.entries(PAYLOAD_SCHEMAS)) for (const [type, schema] of Object.entries(byType)) assert.ok(compileCheck(schema), `v${version} ${type} does not compile`);
    assert.ok(compileCheck(outboxEventSchema));
  });

  it('does not compile what it cannot check exactly, so zod decides', () => {
    assert.equal(compileCheck(z.object({ email: z.string().email() })), undefined);
    assert.equal(compileCheck(z.object({ n: z.number().multipleOf(5) })), undefined);
    assert.equal(compileCheck(z.strictObject({ a: z.string() })), undefined);
    assert.equal(compileCheck(z.union([z.string(), z.number()])), undefined);
  });

  it('accepts the canonical payloads of every kind, as zod does', () => {
    for (const [type, payload] of Object.entries(PAYLOADS)) {
      const schema = PAYLOAD_SCHEMAS[1]?.[type] as z.ZodType;
      assert.equal(schema.safeParse(payload).success, true, type);
      assert.equal(compileCheck(schema)?.(payload), true, type);
    }
  });

  it('never accepts a payload its zod schema refuses (property: one field of a valid payload replaced or removed)', () => {
    const all = Object.entries(PAYLOADS);
    let rejected = 0;
    fc.assert(
      fc.property(fc.nat(all.length - 1), fc.nat(), odd, (i, j, to) => {
        const [type, payload] = all[i] as [string, unknown];
        const schema = PAYLOAD_SCHEMAS[1]?.[type] as z.ZodType;
        const ps = paths(payload);
        const path = ps[j % ps.length] as Array<string | number>;
        const bad = mutate(payload, path, to);
        const fast = compileCheck(schema)?.(bad);
        const zod = schema.safeParse(bad).success;
        if (!zod) rejected++;
        assert.ok(!fast || zod, `fast check accepted what zod refuses: ${type} ${path.join('.')} = ${JSON.stringify(to)}`);
        // Stricter than zod costs speed only, but should not happen for these constructs.
        assert.equal(fast, zod, `fast check and zod disagree: ${type} ${path.join('.')} = ${JSON.stringify(to)}`);
      }),
      { numRuns: 4000 },
    );
    assert.ok(rejected > 500, `too few mutations were invalid (${rejected}): the property proves little`);
  });

  it('never accepts an outbox row zod refuses, and yields the same event zod parses', () => {
    const row = { ...event({ id: 7 }), unknown_column: 'dropped' };
    const ps = paths(row);
    fc.assert(
      fc.property(fc.nat(), odd, (j, to) => {
        const path = ps[j % ps.length] as Array<string | number>;
        const bad = mutate(row, path, to);
        const zod = outboxEventSchema.safeParse(bad);
        const { events } = parseRows([bad]);
        if (!zod.success) {
          assert.equal(events.length, 0, `row accepted although zod refuses: ${path.join('.')} = ${JSON.stringify(to)}`);
          return;
        }
        assert.equal(events.length, 1);
        assert.deepEqual(JSON.parse(JSON.stringify(events[0])), JSON.parse(JSON.stringify(zod.data)));
      }),
      { numRuns: 3000 },
    );
    assert.equal(compileCheck(outboxEventSchema)?.([row]), false);
    assert.equal('unknown_column' in (parseRows([row]).events[0] as object), false);
  });
});
