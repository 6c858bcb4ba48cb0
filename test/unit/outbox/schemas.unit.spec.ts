import assert from 'node:assert/strict';
import { checkPayload, EVENT_TYPES, eventJsonSchemas, parseRows } from '../../../sidecar/src/outbox';
import { event, SHIPMENT } from './fixtures';

describe('event schemas (unit)', () => {
  it('accepts a canonical shipment and extra fields (add, never rename)', () => {
    assert.deepEqual(checkPayload('stock.picking.done', 1, JSON.stringify({ ...SHIPMENT, extra: true })), { ok: true });
  });

  it('names the failing field path', () => {
    const bad = { ...SHIPMENT, shipment: { ...SHIPMENT.shipment, direction: 'sideways' } };
    const res = checkPayload('stock.picking.ready', 1, JSON.stringify(bad));
    assert.equal(res.ok, false);
    assert.match(!res.ok ? res.error : '', /shipment\.direction/);
  });

  it('refuses non-JSON, unknown types and unknown versions', () => {
    assert.equal(checkPayload('stock.picking.ready', 1, '{nope').ok, false);
    assert.equal(checkPayload('stock.picking.teleported', 1, '{}').ok, false);
    assert.equal(checkPayload('stock.picking.ready', 2, JSON.stringify(SHIPMENT)).ok, false);
  });

  it('exports a JSON Schema for every event type', () => {
    const schemas = eventJsonSchemas();
    assert.deepEqual(Object.keys(schemas).sort(), [...EVENT_TYPES].sort());
    for (const s of Object.values(schemas)) assert.equal((s as { type?: string }).type, 'object');
  });

  it('splits well-formed rows from malformed ones that still carry an id', () => {
    const { events, malformed } = parseRows([event({ id: 1 }), { id: 2, payload: 5 }, { nothing: true }]);
    assert.deepEqual(events.map((e) => e.id), [1]);
    assert.deepEqual(malformed.map((m) => m.id), [2]);
  });
});
