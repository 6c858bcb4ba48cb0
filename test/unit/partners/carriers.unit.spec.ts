import assert from 'node:assert/strict';
import { CARRIER_PLATFORMS, normaliseCarrierWebhook, type CarrierPlatform, type NormaliseResult } from '../../../sidecar/src/partners';

/** Webhook bodies shaped like each platform's published examples (fields we do not read left out). */
const easyPost = (status: string, details: Array<{ status: string; datetime: string; city?: string }>, extra: Record<string, unknown> = {}) => ({
  object: 'Event',
  id: 'evt_1',
  description: 'tracker.updated',
  result: {
    object: 'Tracker',
    id: 'trk_1',
    tracking_code: 'RA473124829GB',
    carrier: 'USPS',
    status,
    status_detail: null,
    tracking_details: details.map((d) => ({ ...d, message: `${d.status} scan`, tracking_location: { city: d.city ?? null, state: null, country: 'US', zip: null } })),
    ...extra,
  },
});
const shippo = (status: string, substatus: string | null, date: string) => ({
  event: 'track_updated',
  test: false,
  data: {
    carrier: 'usps',
    tracking_number: '9205590164917312751089',
    tracking_status: { status, status_details: 'details', status_date: date, substatus: substatus && { code: substatus, text: '', action_required: false }, location: { city: 'Las Vegas', state: 'NV', zip: '89101', country: 'US' } },
  },
});
const afterShip = (tag: string, subtag: string, times: string[], signedBy?: string) => ({
  event: 'tracking_update',
  event_id: 'a7d5b0a4-0000-4000-8000-000000000000',
  ts: 1764500000,
  msg: {
    tracking_number: '1Z999AA10123456784',
    slug: 'ups',
    tag,
    subtag,
    signed_by: signedBy ?? null,
    checkpoints: times.map((t) => ({ checkpoint_time: t, tag, message: `checkpoint ${t}`, city: 'Lyon', state: null, zip: null, country_iso3: 'FRA' })),
  },
});

function tracking(r: NormaliseResult) {
  assert.equal(r.kind, 'tracking', JSON.stringify(r));
  return r as Extract<NormaliseResult, { kind: 'tracking' }>;
}

describe('carrier webhooks normalised to one status set', () => {
  it('EasyPost: the status of the tracker at the time of its newest detail, with the signer on delivery', () => {
    const r = tracking(normaliseCarrierWebhook('easypost', easyPost('delivered', [
      { status: 'in_transit', datetime: '2026-12-01T08:00:00Z', city: 'Reno' },
      { status: 'delivered', datetime: '2026-12-02T10:30:00Z', city: 'Las Vegas' },
    ], { signed_by: 'J. Doe' })));
    assert.equal(r.tracking.status, 'delivered');
    assert.equal(r.tracking.event_time, '2026-12-02T10:30:00Z');
    assert.equal(r.tracking.location, 'Las Vegas, US');
    assert.equal(r.tracking.received_by, 'J. Doe');
    assert.match(r.idempotencyKey, /^carrier:easypost:[0-9a-f]{40}$/);
  });

  it('maps every platform status onto the set, sub-statuses included', () => {
    const cases: Array<[CarrierPlatform, unknown, string]> = [
      ['easypost', easyPost('pre_transit', [{ status: 'pre_transit', datetime: '2026-12-01T08:00:00Z' }]), 'pre_transit'],
      ['easypost', easyPost('available_for_pickup', [{ status: 'x', datetime: '2026-12-01T08:00:00Z' }]), 'out_for_delivery'],
      ['easypost', easyPost('return_to_sender', [{ status: 'x', datetime: '2026-12-01T08:00:00Z' }]), 'returned'],
      ['easypost', easyPost('failure', [{ status: 'x', datetime: '2026-12-01T08:00:00Z' }]), 'exception'],
      ['shippo', shippo('TRANSIT', null, '2026-12-01T08:00:00Z'), 'in_transit'],
      ['shippo', shippo('TRANSIT', 'out_for_delivery', '2026-12-01T08:00:00Z'), 'out_for_delivery'],
      ['shippo', shippo('TRANSIT', 'delivery_attempted', '2026-12-01T08:00:00Z'), 'failed_attempt'],
      ['shippo', shippo('RETURNED', null, '2026-12-01T08:00:00Z'), 'returned'],
      ['aftership', afterShip('AttemptFail', 'AttemptFail_001', ['2026-12-01T08:00:00+01:00']), 'failed_attempt'],
      ['aftership', afterShip('Exception', 'Exception_011', ['2026-12-01T08:00:00+01:00']), 'returned'],
      ['aftership', afterShip('OutForDelivery', 'OutForDelivery_001', ['2026-12-01T08:00:00+01:00']), 'out_for_delivery'],
    ];
    for (const [platform, body, status] of cases) assert.equal(tracking(normaliseCarrierWebhook(platform, body)).tracking.status, status, `${platform} ${JSON.stringify(body).slice(0, 80)}`);
  });

  it('the same carrier statement gives the same key however often it is sent; a new one another key', () => {
    const body = afterShip('InTransit', 'InTransit_001', ['2026-12-01T08:00:00+01:00', '2026-12-01T09:00:00+01:00']);
    const first = tracking(normaliseCarrierWebhook('aftership', body));
    const again = tracking(normaliseCarrierWebhook('aftership', structuredClone({ ...body, event_id: 'another-delivery' })));
    assert.equal(again.idempotencyKey, first.idempotencyKey);
    assert.equal(first.tracking.event_time, '2026-12-01T09:00:00+01:00');
    const later = tracking(normaliseCarrierWebhook('aftership', afterShip('Delivered', 'Delivered_001', ['2026-12-01T09:00:00+01:00', '2026-12-01T12:00:00+01:00'], 'M. Roux')));
    assert.notEqual(later.idempotencyKey, first.idempotencyKey);
    assert.equal(later.tracking.received_by, 'M. Roux');
  });

  it('answers the field path of what is wrong, a bad tracking number included', () => {
    const bad = easyPost('in_transit', [{ status: 'in_transit', datetime: '2026-12-01T08:00:00Z' }]);
    (bad.result as Record<string, unknown>).tracking_code = 'RA473124820GB';
    assert.deepEqual(normaliseCarrierWebhook('easypost', bad), { kind: 'invalid', path: 'result.tracking_code', message: 'UPU S10 check digit is wrong' });
    const noTime = shippo('TRANSIT', null, 'yesterday');
    assert.deepEqual(normaliseCarrierWebhook('shippo', noTime), { kind: 'invalid', path: 'data.tracking_status.status_date', message: 'must be an ISO 8601 date-time' });
    const r = normaliseCarrierWebhook('aftership', { event: 'tracking_update', msg: { ...afterShip('InTransit', '', ['2026-12-01T08:00:00Z']).msg, checkpoints: [] } });
    assert.deepEqual(r, { kind: 'invalid', path: 'msg.checkpoints', message: 'required: at least one checkpoint' });
    for (const platform of CARRIER_PLATFORMS) assert.equal(normaliseCarrierWebhook(platform, 'not an object').kind, 'invalid');
  });

  it('says why a well-formed webhook carries no delivery fact', () => {
    assert.deepEqual(normaliseCarrierWebhook('shippo', { ...shippo('UNKNOWN', null, '2026-12-01T08:00:00Z') }), { kind: 'ignored', reason: 'status UNKNOWN carries no delivery state' });
    assert.deepEqual(normaliseCarrierWebhook('shippo', { ...shippo('TRANSIT', null, '2026-12-01T08:00:00Z'), event: 'transaction_created' }), { kind: 'ignored', reason: 'event transaction_created is not about tracking' });
    const batch = { ...easyPost('in_transit', [{ status: 'in_transit', datetime: '2026-12-01T08:00:00Z' }]), description: 'batch.updated' };
    assert.equal(normaliseCarrierWebhook('easypost', batch).kind, 'ignored');
  });
});
