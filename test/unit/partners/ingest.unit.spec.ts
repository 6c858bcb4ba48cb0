import assert from 'node:assert/strict';
import { PARTNER_UPDATE_TYPES } from '@logistics-bridge/contract';
import type { Partner } from '../../../sidecar/src/config';
import { PartnerDirectory, partnerBatch, partnerUpdate, signBridgeRequest } from '../../../sidecar/src/partners';

const wms: Partner = { id: 'wms-acme', scheme: 'hmac', secret: 'hmac-secret-0123456789abc', ratePerSecond: 2, routes: ['updates'], types: PARTNER_UPDATE_TYPES };
const ack = (key: string) => ({ idempotency_key: key, type: 'order.acknowledged', event_time: '2026-12-01T10:00:00+01:00', payload: { picking: { id: 7 } } });

describe('partner items to contract updates', () => {
  it('names the update after its partner: adapter_id, device_id and a key no other sender can have; time in UTC', () => {
    const r = partnerUpdate(wms, ack('a-1'));
    assert.ok(r.ok);
    assert.deepEqual(r.updates[0], { idempotency_key: 'partner:wms-acme:a-1', type: 'order.acknowledged', adapter_id: 'partner:wms-acme', device_id: 'wms-acme', correlation_id: null, event_time: '2026-12-01T09:00:00.000Z', payload: { picking: { id: 7 } } });
  });

  it('takes a batch whole or names its first bad field', () => {
    assert.deepEqual(partnerBatch(wms, { updates: [ack('a'), { ...ack('b'), event_time: 'noon' }] }), { ok: false, status: 422, path: 'updates[1].event_time', message: 'required: ISO 8601 date-time' });
    assert.deepEqual(partnerBatch(wms, { updates: [ack('a'), ack('a')] }), { ok: false, status: 422, path: 'updates[1].idempotency_key', message: 'the same key twice in one request' });
    assert.equal((partnerBatch(wms, { updates: [] }) as { path: string }).path, 'updates');
    assert.equal(partnerBatch(wms, { updates: [ack('a'), ack('b')] }).ok, true);
  });

  it('refuses a type the partner may not send with 403, not 422', () => {
    const asnOnly = { ...wms, types: ['receipt.announced'] as const };
    assert.deepEqual(partnerUpdate(asnOnly, ack('a'), 'updates[0]'), { ok: false, status: 403, path: 'updates[0].type', message: 'partner wms-acme may not send order.acknowledged (allowed: receipt.announced)' });
  });
});

describe('partner directory', () => {
  it('admits a signed request, then limits the rate, and tells 404 / 401 / 403 apart', () => {
    const dir = new PartnerDirectory([wms, { ...wms, id: 'hooks', routes: ['webhook'], platform: 'easypost', scheme: 'bearer' }]);
    const body = Buffer.from('{}');
    const now = Date.now();
    const signed = signBridgeRequest(wms.secret, body, now);
    assert.equal(dir.admitById('nobody', signed, body, now).ok, false);
    assert.equal((dir.admitById('nobody', signed, body, now) as { status: number }).status, 404);
    assert.equal((dir.admitById('wms-acme', {}, body, now) as { status: number }).status, 401);
    assert.equal((dir.admitById('hooks', { authorization: `Bearer ${wms.secret}` }, body, now) as { status: number }).status, 403);
    assert.equal(dir.admitById('wms-acme', signed, body, now).ok, true);
    assert.equal(dir.admitById('wms-acme', signed, body, now).ok, true);
    const third = dir.admitById('wms-acme', signed, body, now);
    assert.deepEqual(third, { ok: false, status: 429, message: 'over the rate of 2 requests/s of partner wms-acme', retryAfterS: 1 });
    assert.equal(dir.admitById('wms-acme', signed, body, now + 600).ok, true, 'the bucket refills');
  });
});
