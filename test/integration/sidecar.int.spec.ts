import assert from 'node:assert/strict';
import { freePort } from '../support/odoo';
import { AMQP_URL } from '../support/env';
import { pollJson, startSidecar, type SidecarProcess } from '../support/sidecar';

describe('integration: the sidecar process', function () {
  this.timeout(60_000);
  let proc: SidecarProcess | undefined;

  afterEach(async () => {
    if (proc && proc.child.exitCode === null) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
    proc = undefined;
  });

  it('refuses to start on a bad configuration with one readable line naming the variable', async () => {
    proc = startSidecar({ ODOO_URL: 'not a url', ODOO_DB: 'x', ODOO_LOGIN: 'x', ODOO_API_KEY: 'supersecretkey', AMQP_URL });
    const code = await proc.exited;
    assert.equal(code, 2);
    const lines = proc.output().trim().split('\n');
    assert.equal(lines.length, 1, proc.output());
    assert.match(lines[0] ?? '', /configuration error: ODOO_URL: invalid/);
    assert.ok(!proc.output().includes('supersecretkey'));
    assert.ok(!proc.output().includes('guest:guest'));
  });

  it('is live but not ready while Odoo is unreachable, naming the reason, and stops cleanly on SIGTERM', async () => {
    const httpPort = await freePort();
    const deadOdoo = await freePort();
    proc = startSidecar({
      ODOO_URL: `http://127.0.0.1:${deadOdoo}`,
      ODOO_DB: 'x',
      ODOO_LOGIN: 'bridge',
      ODOO_API_KEY: 'supersecretkey',
      AMQP_URL,
      HTTP_LISTEN: `127.0.0.1:${httpPort}`,
      GRPC_LISTEN: `127.0.0.1:${await freePort()}`,
    });
    const live = await pollJson(`http://127.0.0.1:${httpPort}/healthz`, (s) => s === 200);
    assert.equal(live.status, 200);
    const ready = await pollJson(`http://127.0.0.1:${httpPort}/readyz`, (s) => s === 503);
    assert.equal(ready.status, 503);
    const body = ready.body as { checks: Record<string, { ok: boolean; error?: string }> };
    assert.equal(body.checks.odoo?.ok, false);
    assert.match(body.checks.odoo?.error ?? '', /ECONNREFUSED/);
    // RabbitMQ is real and up: once connected (it may take a moment on a loaded machine), it is not the
    // reason, while Odoo still is.
    const later = await pollJson(`http://127.0.0.1:${httpPort}/readyz`, (_, b) => (b as typeof body).checks.rabbitmq?.ok === true, 20_000);
    assert.equal((later.body as typeof body).checks.rabbitmq?.ok, true);
    assert.equal(later.status, 503);
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    assert.match(metrics, /logistics_bridge_broker_connected 1/);
    proc.child.kill('SIGTERM');
    assert.equal(await proc.exited, 0);
    assert.ok(!proc.output().includes('supersecretkey'));
    assert.ok(!proc.output().includes('guest:guest@'), 'the AMQP password was logged');
  });

  it('is not ready while RabbitMQ is unreachable', async () => {
    const httpPort = await freePort();
    proc = startSidecar({
      ODOO_URL: `http://127.0.0.1:${await freePort()}`,
      ODOO_DB: 'x',
      ODOO_LOGIN: 'bridge',
      ODOO_API_KEY: 'k',
      AMQP_URL: `amqp://guest:guest@127.0.0.1:${await freePort()}`,
      HTTP_LISTEN: `127.0.0.1:${httpPort}`,
      GRPC_LISTEN: `127.0.0.1:${await freePort()}`,
    });
    const ready = await pollJson(`http://127.0.0.1:${httpPort}/readyz`, (s) => s === 503);
    assert.equal(ready.status, 503);
    assert.match((ready.body as { checks: { rabbitmq: { error: string } } }).checks.rabbitmq.error, /not connected to RabbitMQ/);
  });
});
