import assert from 'node:assert/strict';
import { ConfigError, loadConfig, redactUrl } from '../../../sidecar/src/config';

const BASE = { ODOO_URL: 'http://odoo:8069', ODOO_DB: 'odoo', ODOO_LOGIN: 'bridge', ODOO_API_KEY: 'k3y' };

/** What amqplib (lib/connect.js, credentialsFromUrl) makes of a URL string: WHATWG URL, then unescape. */
function amqplibCredentials(url: string): { user: string; password: string; host: string; vhost: string } {
  const u = new URL(url);
  return { user: unescape(u.username), password: unescape(u.password), host: u.host, vhost: u.pathname };
}

describe('config: AMQP_USER and AMQP_PASSWORD (broker credentials of any printable ASCII)', () => {
  for (const password of ['p@ss:w/rd#1', '100%sure?&=+ ~`!$^*()[]{}|\\;\'"<>,.', 'plain']) {
    it(`arrive at the broker as written: ${JSON.stringify(password)}`, () => {
      const cfg = loadConfig({ ...BASE, AMQP_URL: 'amqp://rabbitmq:5672/%2Fwms', AMQP_USER: 'bri dge@x', AMQP_PASSWORD: password });
      assert.deepEqual(amqplibCredentials(cfg.amqp.url), { user: 'bri dge@x', password, host: 'rabbitmq:5672', vhost: '/%2Fwms' });
      assert.equal(redactUrl(cfg.amqp.url), 'amqp://bri%20dge%40x:***@rabbitmq:5672/%2Fwms'); // log lines
    });
  }

  it('replace credentials already in AMQP_URL, and come from files like every secret', () => {
    const cfg = loadConfig({ ...BASE, AMQP_URL: 'amqps://old:old@broker:5671', AMQP_USER: 'u', AMQP_PASSWORD_FILE: '/run/secrets/amqp' }, () => 'from:file@\n');
    assert.deepEqual(amqplibCredentials(cfg.amqp.url), { user: 'u', password: 'from:file@', host: 'broker:5671', vhost: '' });
  });

  it('go together, and refuse what amqplib could not carry, naming the variable', () => {
    assert.throws(() => loadConfig({ ...BASE, AMQP_URL: 'amqp://rabbitmq', AMQP_USER: 'u' }), (e: unknown) => e instanceof ConfigError && /AMQP_PASSWORD: .*go together/.test(e.message));
    assert.throws(() => loadConfig({ ...BASE, AMQP_URL: 'amqp://rabbitmq', AMQP_USER: 'u', AMQP_PASSWORD: 'pässword' }), (e: unknown) => e instanceof ConfigError && /^AMQP_PASSWORD: invalid: printable ASCII/.test(e.message) && !e.message.includes('pässword'));
  });

  it('leave AMQP_URL alone when unset', () => {
    assert.equal(loadConfig({ ...BASE, AMQP_URL: 'amqp://a:b@rabbitmq:5672' }).amqp.url, 'amqp://a:b@rabbitmq:5672');
  });
});
