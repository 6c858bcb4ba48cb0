import assert from 'node:assert/strict';
import { z } from 'zod';
import { diagnoseOdooError } from '../../../sidecar/src/health';
import { fromRpcError, OdooTransportError } from '../../../sidecar/src/odoo';

const target = { url: 'http://odoo:8069', db: 'warehouse', login: 'logistics-bridge' };
/** A JSON-RPC error object as Odoo 18 sends it. */
const rpc = (name: string, message: string) => fromRpcError({ code: 200, message: 'Odoo Server Error', data: { name, message } });

describe('diagnoseOdooError: one mapping of Odoo errors to a cause and its fix (readiness and CLI)', () => {
  it('names a database that does not exist', () => {
    const d = diagnoseOdooError(rpc('psycopg2.OperationalError', 'connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "warehouse" does not exist\n'), target);
    assert.equal(d.check, 'odoo_login');
    assert.equal(d.error, 'database "warehouse" does not exist on http://odoo:8069');
    assert.match(d.fix, /ODOO_DB/);
  });
  it('names the login whose API key was refused', () => {
    const d = diagnoseOdooError(rpc('odoo.exceptions.AccessDenied', 'Access Denied'), target);
    assert.equal(d.error, 'the API key was refused for login "logistics-bridge" on database "warehouse"');
    assert.match(d.fix, /ODOO_API_KEY/);
  });
  it('says the addon is not installed when its model does not exist', () => {
    const d = diagnoseOdooError(rpc('odoo.exceptions.UserError', "Object logistics.bridge.event doesn't exist"), target);
    assert.equal(d.check, 'logistics_bridge');
    assert.match(d.error, /^logistics_bridge is not installed in database "warehouse"/);
    assert.match(d.fix, /-i logistics_bridge/);
  });
  it('says which group the service user lacks', () => {
    const d = diagnoseOdooError(rpc('odoo.exceptions.AccessError', 'Only the logistics bridge service account may call the relay API.'), target);
    assert.match(d.error, /lacks the Integration service group/);
    assert.match(d.fix, /Integration service/);
  });
  it('says the addon is older than the sidecar when a method is missing', () => {
    const d = diagnoseOdooError(rpc('builtins.AttributeError', "The method 'bridge_ping' does not exist on the model 'logistics.bridge.event'"), target);
    assert.match(d.fix, /-u logistics_bridge/);
  });
  it('tells an unreachable Odoo from a URL that is not Odoo, and an unknown shape from both', () => {
    assert.match(diagnoseOdooError(new OdooTransportError('Odoo unreachable: ECONNREFUSED', 'ECONNREFUSED'), target).error, /^Odoo is unreachable at http:\/\/odoo:8069/);
    assert.match(diagnoseOdooError(new OdooTransportError('Odoo answered HTTP 404 without JSON', 'http_404'), target).fix, /ODOO_URL/);
    const shape = z.object({ a: z.string() }).safeParse({});
    assert.equal(diagnoseOdooError(shape.error, target).check, 'logistics_bridge');
  });
  it('keeps Odoo\'s class and text for anything else', () => {
    const d = diagnoseOdooError(rpc('builtins.ValueError', 'boom'), target);
    assert.equal(d.check, 'odoo');
    assert.match(d.error, /builtins\.ValueError.*boom/);
  });
});
