import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { loadConfig } from '../../sidecar/src/config';
import { AMQP_URL } from '../support/env';
import { skipLoudly } from '../support/skip';

/**
 * docker-compose.yml hands the broker credentials to the sidecar as AMQP_USER and AMQP_PASSWORD, not inside
 * AMQP_URL: a password with `@ : / # % ?` must log in as written. A throw-away RabbitMQ user with such a
 * password (rabbitmqctl on the local broker), and the URL the sidecar's config makes, through amqplib.
 */
const PASSWORD = "p@ss:w/rd#1%?&'= x";

describe('integration: broker credentials from AMQP_USER and AMQP_PASSWORD log in as written', function () {
  this.timeout(60_000);
  const user = `lbt-${randomBytes(3).toString('hex')}@x`;
  const target = new URL(AMQP_URL);
  const vhost = decodeURIComponent(target.pathname.slice(1)) || '/';
  const ctl = (...args: string[]) => spawnSync('rabbitmqctl', ['-q', ...args], { encoding: 'utf8', timeout: 30_000 });

  before(function () {
    const local = ['127.0.0.1', 'localhost'].includes(target.hostname) && (target.port || '5672') === '5672';
    if (!local || ctl('add_user', user, PASSWORD).status !== 0) {
      skipLoudly(this, 'AMQP credentials check: needs rabbitmqctl for the broker of AMQP_URL on 127.0.0.1:5672');
    }
    assert.equal(ctl('set_permissions', '-p', vhost, user, '.*', '.*', '.*').status, 0);
  });

  after(() => {
    ctl('delete_user', user);
  });

  it('connects with the URL the config builds, and is refused with the password pasted into AMQP_URL', async () => {
    const base = `amqp://${target.host}/${encodeURIComponent(vhost)}`;
    const cfg = loadConfig({ ODOO_URL: 'http://odoo:8069', ODOO_DB: 'odoo', ODOO_LOGIN: 'x', ODOO_API_KEY: 'k', AMQP_URL: base, AMQP_USER: user, AMQP_PASSWORD: PASSWORD });
    const conn = await amqp.connect(cfg.amqp.url);
    await conn.close();
    // What the old compose file did: `amqp://${RABBITMQ_USER}:${RABBITMQ_PASSWORD}@rabbitmq:5672`.
    await assert.rejects(amqp.connect(`amqp://${user}:${PASSWORD}@${target.host}/${encodeURIComponent(vhost)}`));
  });
});
