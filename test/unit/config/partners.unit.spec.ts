import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../../sidecar/src/config';

const VALID = { ODOO_URL: 'http://odoo:8069', ODOO_DB: 'prod', ODOO_LOGIN: 'bridge', ODOO_API_KEY: 'k3y', AMQP_URL: 'amqp://bridge:s3cret@rabbitmq:5672/%2f' };
const SECRET = 'the-wms-token-0123456789abcdef';
const files = (partners: unknown, extra: Record<string, string> = {}) => {
  const fs: Record<string, string> = { '/etc/partners.json': JSON.stringify(partners), '/run/secrets/wms': `${SECRET}\n`, ...extra };
  return (p: string) => {
    const v = fs[p];
    if (v === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    return v;
  };
};
const load = (partners: unknown, extra?: Record<string, string>) => loadConfig({ ...VALID, PARTNERS_FILE: '/etc/partners.json' }, files(partners, extra));
const problem = (partners: unknown, extra?: Record<string, string>) => {
  try {
    load(partners, extra);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.ok(!err.message.includes(SECRET), 'no secret in the message');
    return err.message;
  }
  return assert.fail('accepted');
};

describe('config: the partners of the partner doors (PARTNERS_FILE)', () => {
  it('leaves the doors off without PARTNERS_FILE', () => {
    assert.equal(loadConfig(VALID).partners, undefined);
  });

  it('reads each partner with its secret from its own file, and default routes and limits', () => {
    const cfg = load({ 'wms-acme': { scheme: 'bearer', secret_file: '/run/secrets/wms' }, easypost: { scheme: 'easypost', secret_file: '/run/secrets/wms', platform: 'easypost', rate_per_second: 20 } });
    assert.equal(cfg.partners?.listen, '0.0.0.0:8080');
    assert.equal(cfg.partners?.maxBodyBytes, 1024 * 1024);
    const [wms, ep] = cfg.partners?.list ?? [];
    assert.deepEqual([wms?.id, wms?.secret, wms?.routes, wms?.ratePerSecond], ['wms-acme', SECRET, ['updates'], 50]);
    assert.deepEqual([ep?.routes, ep?.platform, ep?.ratePerSecond], [['webhook'], 'easypost', 20]);
    assert.ok(wms?.types.includes('receipt.announced') && !wms.types.includes('device.status'));
  });

  it('names the partner and field of a bad entry, never the secret', () => {
    assert.match(problem({ 'wms acme': { scheme: 'bearer', secret_file: '/run/secrets/wms' } }), /^PARTNERS_FILE: wms acme: partner id/);
    assert.match(problem({ w: { scheme: 'basic', secret_file: '/run/secrets/wms' } }), /^PARTNERS_FILE: w\.scheme: /);
    assert.match(problem({ w: { scheme: 'bearer', secret_file: '/run/secrets/none' } }), /^PARTNERS_FILE: w\.secret_file: cannot read \/run\/secrets\/none \(ENOENT\)$/);
    assert.match(problem({ w: { scheme: 'bearer', secret_file: '/short' } }, { '/short': 'abc' }), /at least 16 characters/);
    assert.match(problem({ w: { scheme: 'bearer', secret_file: '/run/secrets/wms', routes: ['webhook'] } }), /w\.platform: required for the webhook route/);
    assert.match(problem({ w: { scheme: 'bearer', secret_file: '/run/secrets/wms', types: ['device.status'] } }), /^PARTNERS_FILE: w\.types\.0: /);
    assert.match(problem('{'), /^PARTNERS_FILE: /);
    assert.match(problem({ a: { scheme: 'bearer', secret_file: '/run/secrets/wms', amqp_user: 'u' }, b: { scheme: 'bearer', secret_file: '/run/secrets/wms', amqp_user: 'u' } }), /amqp_user u names two partners/);
  });
});
