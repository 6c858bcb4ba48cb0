import assert from 'node:assert/strict';
import { OdooAccessError, OdooAuthError, OdooServerError, OdooTransportError } from '../../../sidecar/src/odoo';
import { failureKind, RETRY_POLICIES, retryDelay } from '../../../sidecar/src/outbox';

describe('relay failure policy (unit)', () => {
  it('classifies the Odoo error ladder', () => {
    assert.equal(failureKind(new OdooAuthError('x', 'odoo.exceptions.AccessDenied')), 'auth');
    assert.equal(failureKind(new OdooAccessError('x', 'odoo.exceptions.AccessError')), 'access');
    assert.equal(failureKind(new OdooTransportError('x', 'ECONNREFUSED')), 'transport');
    assert.equal(failureKind(new OdooServerError('x', 'psycopg2.OperationalError')), 'server');
    assert.equal(failureKind(new TypeError('bad shape')), 'protocol');
    assert.equal(failureKind(new Error('?')), 'other');
  });

  it('grows the delay with consecutive failures up to the cap', () => {
    const max = () => 0.999999;
    const delays = [0, 1, 2, 3, 4, 20].map((n) => retryDelay(n, 'transport', max));
    for (let i = 1; i < delays.length; i++) assert.ok((delays[i] ?? 0) >= (delays[i - 1] ?? 0));
    assert.ok((delays.at(-1) ?? 0) <= RETRY_POLICIES.transport.maxMs);
    assert.ok((delays[0] ?? 0) <= RETRY_POLICIES.transport.baseMs);
  });

  it('backs off slower on wrong credentials than on an outage', () => {
    const mid = () => 0.5;
    assert.ok(retryDelay(0, 'auth', mid) > retryDelay(0, 'transport', mid));
  });
});
