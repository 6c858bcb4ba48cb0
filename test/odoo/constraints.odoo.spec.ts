import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { OdooClient } from '../../sidecar/src/odoo';
import { update } from '../support/applier';
import { pgFor } from '../support/outbox-sql';
import { OdooFixtures } from '../../tools/fixtures';
import { odooTarget } from './hooks';

/**
 * Exactly-once rests on two keys being unique in the database itself, not in Python: the inbox's
 * idempotency key (a device update changes Odoo once) and the outbox event's UUID (consumers dedupe on
 * it). Odoo 19 ignores `_sql_constraints` with only a warning, so this looks at PostgreSQL directly,
 * on whichever series the tier runs.
 */
describe('odoo tier: the uniqueness exactly-once depends on is a PostgreSQL constraint', () => {
  let pg: Client;
  before(async () => {
    pg = await pgFor(odooTarget().db);
  });
  after(async () => {
    await pg?.end();
  });

  const uniqueConstraints = async (table: string) =>
    (await pg.query<{ conname: string; def: string }>("SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'u' ORDER BY conname", [table])).rows;

  /** A copy of the row (all columns but id) in a transaction that is rolled back: the error, if any. */
  async function insertCopy(table: string, column: string, value: string): Promise<{ code?: string; constraint?: string } | undefined> {
    const cols = (await pg.query<{ c: string }>("SELECT quote_ident(column_name) AS c FROM information_schema.columns WHERE table_name = $1 AND column_name <> 'id'", [table])).rows.map((r) => r.c).join(', ');
    await pg.query('BEGIN');
    try {
      const res = await pg.query(`INSERT INTO ${table} (${cols}) SELECT ${cols} FROM ${table} WHERE ${column} = $1`, [value]);
      assert.equal(res.rowCount, 1, `no ${table} row with ${column} = ${value} to copy`);
      return undefined;
    } catch (err) {
      return err as { code?: string; constraint?: string };
    } finally {
      await pg.query('ROLLBACK');
    }
  }

  it('logistics_bridge_update: UNIQUE (idempotency_key) exists and refuses a second row with the same key', async () => {
    const t = odooTarget();
    assert.deepEqual(await uniqueConstraints('logistics_bridge_update'), [{ conname: 'logistics_bridge_update_idempotency_key_uniq', def: 'UNIQUE (idempotency_key)' }]);
    const key = `uniq-${randomUUID()}`;
    const odoo = new OdooClient({ url: t.url, db: t.db, login: t.service.login, secret: t.service.secret });
    const [res] = (await odoo.executeKw('logistics.bridge.update', 'apply_batch', [[update(key, 'device.status', { status: 'online', family: 'sorter' }, { device_id: `uniq-${key}` })]])) as Array<{ status: string }>;
    odoo.close();
    assert.equal(res?.status, 'applied');
    const err = await insertCopy('logistics_bridge_update', 'idempotency_key', key);
    assert.equal(err?.code, '23505', 'a second row with the same idempotency key was accepted');
    assert.equal(err?.constraint, 'logistics_bridge_update_idempotency_key_uniq');
  });

  it('logistics_bridge_event: UNIQUE (uuid) exists and refuses a second event with the same UUID', async () => {
    const t = odooTarget();
    assert.deepEqual(await uniqueConstraints('logistics_bridge_event'), [{ conname: 'logistics_bridge_event_uuid_uniq', def: 'UNIQUE (uuid)' }]);
    const fx = await OdooFixtures.connect({ url: t.url, db: t.db, login: t.admin.login, password: t.admin.secret });
    const product = await fx.product({ name: `uniq-${randomUUID()}` });
    await fx.saleOrder(await fx.partner('Uniq buyer'), [{ productId: product, quantity: 1 }]);
    const { rows } = await pg.query<{ uuid: string }>('SELECT uuid FROM logistics_bridge_event ORDER BY id DESC LIMIT 1');
    assert.ok(rows[0], 'confirming a sale order wrote no event');
    const err = await insertCopy('logistics_bridge_event', 'uuid', rows[0].uuid);
    assert.equal(err?.code, '23505', 'a second event with the same UUID was accepted');
    assert.equal(err?.constraint, 'logistics_bridge_event_uuid_uniq');
  });
});
