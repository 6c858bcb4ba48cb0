import assert from 'node:assert/strict';
import { OdooAuthError, OdooClient } from '../../sidecar/src/odoo';
import { seriesOf } from '../support/odoo';
import { odooTarget } from './hooks';

describe(`odoo tier: the Odoo client against a real Odoo ${seriesOf()} (${seriesOf() >= 19 ? 'JSON-2' : 'JSON-RPC'})`, () => {
  it('authenticates the service user with its API key and calls a model method', async () => {
    const t = odooTarget();
    const client = new OdooClient({ url: t.url, db: t.db, login: t.service.login, secret: t.service.secret });
    const uid = await client.authenticate();
    assert.ok(uid > 0);
    // It reads no res.users record, not even its own (invariant 6): the bridge's own API says who called.
    const me = (await client.executeKw('logistics.bridge.event', 'bridge_ping', [])) as { login: string };
    assert.equal(me.login, t.service.login);
    client.close();
  });

  it('answers a wrong API key with a typed OdooAuthError', async () => {
    const t = odooTarget();
    const client = new OdooClient({ url: t.url, db: t.db, login: t.service.login, secret: 'not-the-key' });
    await assert.rejects(client.authenticate(), (err: unknown) => err instanceof OdooAuthError && /refused login/.test(err.message));
    client.close();
  });

  it('keeps the Odoo exception class and message of a server-side error', async () => {
    const t = odooTarget();
    const client = new OdooClient({ url: t.url, db: t.db, login: t.service.login, secret: t.service.secret });
    await assert.rejects(client.executeKw('no.such.model', 'search', [[]]), (err: unknown) => {
      const e = err as { odooClass?: string; message: string };
      return typeof e.odooClass === 'string' && e.odooClass !== 'unknown' && e.message.includes('no.such.model');
    });
    client.close();
  });
});
