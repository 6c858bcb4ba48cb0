import type { OutboxEvent } from '../../../sidecar/src/outbox';

/** Payloads shaped like odoo_addon/logistics_bridge/lib/canonical.py builds them. */
export const SHIPMENT = {
  shipment: {
    id: 7,
    name: 'WH/OUT/00007',
    direction: 'outbound',
    picking_type: { id: 2, name: 'Delivery Orders' },
    warehouse: { id: 1, code: 'WH' },
    state: 'assigned',
    origin: 'S00012',
    return_of: null,
    scheduled_date: '2026-11-26T10:00:00Z',
    date_done: null,
    partner: { id: 9, ref: null, city: 'Lyon', country_code: 'FR' },
    location: { id: 8, name: 'WH/Stock', barcode: 'WH-STOCK' },
    location_dest: { id: 5, name: 'Partners/Customers', barcode: null },
    carrier_tracking_ref: null,
  },
  lines: [{ product: { id: 3, default_code: 'DESK', barcode: null, name: 'Desk' }, quantity: 2, uom: 'Units' }],
};

let next = 1;
export function event(overrides: Partial<OutboxEvent> = {}): OutboxEvent {
  const id = overrides.id ?? next++;
  return {
    id,
    uuid: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    event_type: 'stock.picking.ready',
    schema_version: 1,
    aggregate_model: 'stock.picking',
    aggregate_id: 7,
    aggregate_key: `stock.picking:${id}`,
    payload: JSON.stringify(SHIPMENT),
    correlation_id: `corr-${id}`,
    company_id: 1,
    priority: 10,
    attempts: 0,
    created_at: '2026-11-26T10:00:00.123456Z',
    user_id: 2,
    database: 'lb_test',
    ...overrides,
  };
}
