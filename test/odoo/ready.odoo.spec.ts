import assert from 'node:assert/strict';
import { freePort } from '../support/odoo';
import { pgFor } from '../support/outbox-sql';
import { pollJson, sidecarEnv, startSidecar } from '../support/sidecar';
import { odooTarget } from './hooks';

describe('odoo tier: sidecar readiness with a real Odoo and RabbitMQ', function () {
  this.timeout(60_000);
  it('answers /readyz 200 when Odoo and RabbitMQ both answer', async () => {
    const t = odooTarget();
    const httpPort = await freePort();
    const proc = startSidecar(sidecarEnv(t, {
      HTTP_LISTEN: `127.0.0.1:${httpPort}`,
      GRPC_LISTEN: `127.0.0.1:${await freePort()}`,
    }));
    try {
      const ready = await pollJson(`http://127.0.0.1:${httpPort}/readyz`, (s) => s === 200);
      assert.equal(ready.status, 200, JSON.stringify(ready.body));
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  });

  it('warns on /readyz ahead of the API key expiry (still ready), from ODOO_KEY_WARN_DAYS before it', async () => {
    const t = odooTarget();
    const pg = await pgFor(t.db);
    const expire = (sql: string) => pg.query(`UPDATE res_users_apikeys SET expiration_date = ${sql} WHERE index = $1`, [t.service.secret.slice(0, 8)]);
    const httpPort = await freePort();
    const proc = startSidecar(sidecarEnv(t, { HTTP_LISTEN: `127.0.0.1:${httpPort}`, GRPC_LISTEN: `127.0.0.1:${await freePort()}`, ODOO_KEY_WARN_DAYS: '10' }));
    try {
      await expire("(now() AT TIME ZONE 'UTC') + interval '3 days'");
      const soon = await pollJson(`http://127.0.0.1:${httpPort}/readyz`, (s, b) => s === 200 && JSON.stringify(b).includes('warning'));
      assert.equal(soon.status, 200, JSON.stringify(soon.body));
      assert.match(JSON.stringify(soon.body), /API key expires at .* \(in 3 days\): create a second key/);
      await expire("(now() AT TIME ZONE 'UTC') + interval '30 days'");
      const later = await pollJson(`http://127.0.0.1:${httpPort}/readyz`, (s, b) => s === 200 && !JSON.stringify(b).includes('warning'));
      assert.equal(later.status, 200, JSON.stringify(later.body));
    } finally {
      await expire('NULL');
      await pg.end();
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  });
});
