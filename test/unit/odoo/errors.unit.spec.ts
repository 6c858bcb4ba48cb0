import assert from 'node:assert/strict';
import { fromRpcError, OdooAccessError, OdooAuthError, OdooServerError, OdooUserError } from '../../../sidecar/src/odoo';

const rpc = (name: string, message: string) => ({ code: 200, message: 'Odoo Server Error', data: { name, message, debug: 'Traceback ...' } });

describe('Odoo error mapping', () => {
  it('keeps the Python class and message', () => {
    const err = fromRpcError(rpc('odoo.exceptions.AccessError', 'You are not allowed to modify Sales Order'));
    assert.ok(err instanceof OdooAccessError);
    assert.equal(err.odooClass, 'odoo.exceptions.AccessError');
    assert.equal(err.message, 'You are not allowed to modify Sales Order');
    assert.equal(err.retryable, false);
  });
  it('maps the ladder', () => {
    assert.ok(fromRpcError(rpc('odoo.exceptions.AccessDenied', 'Access Denied')) instanceof OdooAuthError);
    assert.ok(fromRpcError(rpc('odoo.exceptions.UserError', 'no')) instanceof OdooUserError);
    assert.ok(fromRpcError(rpc('odoo.exceptions.ValidationError', 'no')) instanceof OdooUserError);
    assert.ok(fromRpcError(rpc('builtins.KeyError', 'x')) instanceof OdooServerError);
  });
  it('lets only idempotent calls retry a serialization failure', () => {
    const err = fromRpcError(rpc('psycopg2.errors.SerializationFailure', 'could not serialize access'));
    assert.equal(err.retryable, false);
    assert.equal(err.idempotentRetryable, true);
  });
  it('survives a malformed error object', () => {
    assert.equal(fromRpcError(undefined).odooClass, 'unknown');
  });
});
