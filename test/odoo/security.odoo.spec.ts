import assert from 'node:assert/strict';
import { OdooClient } from '../../sidecar/src/odoo';
import { seriesOf } from '../support/odoo';
import { odooTarget } from './hooks';

/**
 * Invariant 6 (DESIGN.md): the sidecar's Odoo user can do only what the bridge needs. Its own key,
 * through the sidecar's own client: everything outside the bridge's models is refused by Odoo itself.
 */
describe(`odoo tier: the service user is refused outside the bridge (Odoo ${seriesOf()})`, () => {
  let client: OdooClient;
  before(() => {
    const t = odooTarget();
    client = new OdooClient({ url: t.url, db: t.db, login: t.service.login, secret: t.service.secret });
  });
  after(() => client.close());

  const refused = (what: string, call: () => Promise<unknown>) =>
    it(`refuses ${what}`, async () => {
      await assert.rejects(call(), (err: unknown) => {
        const e = err as { odooClass?: string; message: string };
        assert.match(`${e.odooClass} ${e.message}`, /AccessError|access|not allowed|permission/i, `unexpected error: ${e.message}`);
        return true;
      });
    });

  refused('creating a sale order', () => client.executeKw('sale.order', 'create', [[{ partner_id: 1 }]]));
  refused('reading partners', () => client.executeKw('res.partner', 'search_read', [[], ['name', 'email']]));
  refused('reading other users', () => client.executeKw('res.users', 'search_read', [[['login', '=', 'admin']], ['login']]));
  refused('reading products outside the bridge', () => client.executeKw('product.product', 'search_read', [[], ['name']]));
  refused('validating a picking', () => client.executeKw('stock.picking', 'search_read', [[], ['name']]));
  refused('reading the installed modules', () => client.executeKw('ir.module.module', 'search_read', [[['name', '=', 'stock']], ['state']]));
  refused('an admin method (installing a module)', () => client.executeKw('ir.module.module', 'button_immediate_install', [[1]]));
  refused('changing its own groups', () => client.executeKw('res.users', 'write', [[2], { name: 'taken over' }]));

  it('still calls the bridge API (what it needs)', async () => {
    assert.equal(typeof (await client.executeKw('logistics.bridge.event', 'bridge_ping', [])), 'object');
  });
});
