import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { REPLAY_WINDOW_S, signBridgeRequest, verifyPartner } from '../../../sidecar/src/partners';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const body = Buffer.from('{"updates":[{"type":"order.acknowledged"}]}');

describe('partner authentication', () => {
  it('bearer: the token, compared whole', () => {
    const cred = { scheme: 'bearer' as const, secret: 's3cret-token' };
    assert.deepEqual(verifyPartner(cred, { authorization: 'Bearer s3cret-token' }, body, NOW), { ok: true });
    assert.deepEqual(verifyPartner(cred, { authorization: 'Bearer s3cret-toke' }, body, NOW), { ok: false, reason: 'the bearer token was refused' });
    assert.deepEqual(verifyPartner(cred, {}, body, NOW), { ok: false, reason: 'Authorization: Bearer <token> is required' });
  });

  it('hmac: a signed body within the replay window passes; a changed body, a stale or future timestamp do not', () => {
    const cred = { scheme: 'hmac' as const, secret: 'shared' };
    const headers = signBridgeRequest('shared', body, NOW);
    assert.deepEqual(verifyPartner(cred, headers, body, NOW + 10_000), { ok: true });
    assert.deepEqual(verifyPartner(cred, headers, Buffer.from(`${body} `), NOW), { ok: false, reason: 'the signature does not match the body' });
    const stale = verifyPartner(cred, headers, body, NOW + (REPLAY_WINDOW_S + 1) * 1000);
    assert.equal(stale.ok, false);
    assert.match((stale as { reason: string }).reason, /replay window/);
    assert.equal(verifyPartner(cred, signBridgeRequest('shared', body, NOW + 3_600_000), body, NOW).ok, false);
    assert.equal(verifyPartner(cred, signBridgeRequest('other', body, NOW), body, NOW).ok, false);
    assert.equal(verifyPartner(cred, { ...headers, 'x-bridge-timestamp': 'soon' }, body, NOW).ok, false);
  });

  it('easypost and aftership: their published signature headers over the raw body', () => {
    const ep = `hmac-sha256-hex=${createHmac('sha256', 'whsec').update(body).digest('hex')}`;
    assert.deepEqual(verifyPartner({ scheme: 'easypost', secret: 'whsec' }, { 'x-hmac-signature': ep }, body, NOW), { ok: true });
    assert.equal(verifyPartner({ scheme: 'easypost', secret: 'other' }, { 'x-hmac-signature': ep }, body, NOW).ok, false);
    const as = createHmac('sha256', 'aswh').update(body).digest('base64');
    assert.deepEqual(verifyPartner({ scheme: 'aftership', secret: 'aswh' }, { 'aftership-hmac-sha256': as }, body, NOW), { ok: true });
    assert.equal(verifyPartner({ scheme: 'aftership', secret: 'aswh' }, {}, body, NOW).ok, false);
  });
});
