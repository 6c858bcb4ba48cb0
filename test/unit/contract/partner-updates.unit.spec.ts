import assert from 'node:assert/strict';
import { checkErpUpdate, DEVICE_UPDATE_TYPES, ERP_UPDATE_TYPES, MAX_ATTACHMENT_BYTES, PARTNER_UPDATE_TYPES } from '@logistics-bridge/contract';

const base = { idempotency_key: 'partner:wms-1:ack-1', adapter_id: 'partner:wms-1', device_id: 'wms-1', correlation_id: null, event_time: '2026-12-01T10:00:00Z' };
const check = (type: string, payload: unknown) => checkErpUpdate({ ...base, type, payload });
const why = (type: string, payload: unknown) => {
  const r = check(type, payload);
  return r.ok ? 'ok' : `${r.path}: ${r.message}`;
};
const PNG = Buffer.from('\x89PNG\r\n\x1a\n-signature-').toString('base64');

describe('contract: the partner update types (Flow 4)', () => {
  it('accepts one update of each new type in the shape docs/partners.md shows', () => {
    const payloads: Record<string, unknown> = {
      'shipment.tracking': { tracking_number: 'RA473124829GB', carrier: 'la-poste', status: 'in_transit', carrier_status: 'TRANSIT', location: 'Lyon, FR' },
      'shipment.delivered': { picking: { name: 'WH/OUT/00042' }, delivered_at: '2026-12-01T09:58:00+01:00', received_by: 'J. Doe', signature: { content_type: 'image/png', data_base64: PNG } },
      'order.acknowledged': { picking: { name: 'WH/OUT/00042' }, external_ref: 'WMS-778' },
      'order.refused': { picking: { id: 42 }, reason: 'product W-1 unknown in the WMS', code: 'E_SKU' },
      'receipt.announced': {
        purchase_order: { name: 'P00017' },
        asn_ref: 'DESADV-9001',
        expected_date: '2026-12-03',
        lines: [{ product: { default_code: 'W-1' }, quantity: 10, lots: ['L-1'], ssccs: ['376104250021234569'] }],
      },
    };
    for (const [type, payload] of Object.entries(payloads)) assert.equal(why(type, payload), 'ok', type);
  });

  it('keeps the device types as they were and lists the new ones apart', () => {
    assert.deepEqual([...ERP_UPDATE_TYPES.slice(0, DEVICE_UPDATE_TYPES.length)], [...DEVICE_UPDATE_TYPES]);
    for (const t of ['shipment.tracking', 'shipment.delivered', 'order.acknowledged', 'order.refused', 'receipt.announced']) {
      assert.ok(ERP_UPDATE_TYPES.includes(t as never) && PARTNER_UPDATE_TYPES.includes(t as never) && !DEVICE_UPDATE_TYPES.includes(t as never), t);
    }
    assert.ok(!PARTNER_UPDATE_TYPES.includes('device.status'), 'a partner is no device');
  });

  it('refuses a tracking number with a wrong check digit, naming the field', () => {
    assert.equal(why('shipment.tracking', { tracking_number: 'RA473124820GB', carrier: 'x', status: 'in_transit', carrier_status: 'T' }), 'payload.tracking_number: UPU S10 check digit is wrong');
    assert.equal(why('shipment.delivered', { tracking_number: '1Z999AA10123456785', delivered_at: '2026-12-01T10:00:00Z' }), 'payload.tracking_number: UPS check digit is wrong');
    assert.equal(why('shipment.delivered', { tracking_number: '1Z999AA10123456784', delivered_at: '2026-12-01T10:00:00Z' }), 'ok');
  });

  it('names what is missing or wrong in each new type', () => {
    assert.equal(why('shipment.tracking', { carrier: 'x', status: 'in_transit', carrier_status: 'T' }), 'payload.picking: required: picking or tracking_number');
    assert.match(why('shipment.tracking', { picking: { id: 1 }, carrier: 'x', status: 'lost_in_space', carrier_status: 'T' }), /^payload\.status: /);
    assert.match(why('shipment.delivered', { picking: { id: 1 }, delivered_at: 'today' }), /^payload\.delivered_at: required: ISO 8601/);
    assert.equal(why('order.refused', { picking: { id: 1 }, reason: '' }), 'payload.reason: required');
    assert.match(why('order.acknowledged', {}), /^payload\.picking: /);
    const asn = { purchase_order: { name: 'P1' }, asn_ref: 'A', expected_date: '2026-12-03', lines: [{ product: { id: 1 }, quantity: 1 }] };
    assert.equal(why('receipt.announced', { ...asn, purchase_order: undefined }), 'payload.purchase_order: required: purchase_order or receipt');
    assert.equal(why('receipt.announced', { ...asn, expected_date: '2026-13-45' }), 'payload.expected_date: required: ISO 8601 date or date-time');
    assert.equal(why('receipt.announced', { ...asn, lines: [{ product: { id: 1 }, quantity: 1, ssccs: ['376104250021234560'] }] }), 'payload.lines[0].ssccs[0]: SSCC check digit is wrong');
    assert.equal(why('receipt.announced', { ...asn, lines: [] }), 'payload.lines: required: at least one line');
  });

  it('caps a proof-of-delivery attachment and wants real base64', () => {
    const pod = (data: string) => ({ picking: { id: 1 }, delivered_at: '2026-12-01T10:00:00Z', photo: { content_type: 'image/jpeg', data_base64: data } });
    const atCap = Buffer.alloc(MAX_ATTACHMENT_BYTES, 7).toString('base64');
    assert.equal(why('shipment.delivered', pod(atCap)), 'ok');
    assert.match(why('shipment.delivered', pod(Buffer.alloc(MAX_ATTACHMENT_BYTES + 3, 7).toString('base64'))), /^payload\.photo\.data_base64: over \d+ bytes decoded$/);
    assert.equal(why('shipment.delivered', pod('not base64!')), 'payload.photo.data_base64: must be base64 (RFC 4648, padded)');
    assert.match(why('shipment.delivered', { ...pod(PNG), photo: { content_type: 'text/html', data_base64: PNG } }), /^payload\.photo\.content_type: /);
  });
});
