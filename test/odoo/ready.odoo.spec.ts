import assert from 'node:assert/strict';
import { freePort } from '../support/odoo';
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
});
