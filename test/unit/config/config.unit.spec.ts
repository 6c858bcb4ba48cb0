import assert from 'node:assert/strict';
import { ConfigError, envSchema, loadConfig, redactUrl, resolveSecretFiles } from '../../../sidecar/src/config';

const VALID = {
  ODOO_URL: 'http://odoo:8069/',
  ODOO_DB: 'prod',
  ODOO_LOGIN: 'bridge',
  ODOO_API_KEY: 'k3y',
  AMQP_URL: 'amqp://bridge:s3cret@rabbitmq:5672/%2f',
};

function configError(env: Record<string, string | undefined>, readFile?: (p: string) => string): string {
  try {
    loadConfig(env, readFile);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('configuration was accepted');
}

describe('config', () => {
  it('parses a complete environment into typed sections with defaults', () => {
    const cfg = loadConfig(VALID);
    assert.equal(cfg.odoo.url, 'http://odoo:8069');
    assert.equal(cfg.odoo.secret, 'k3y');
    assert.equal(cfg.grpc.listen, '0.0.0.0:50051');
    assert.equal(cfg.http.listen, '0.0.0.0:9464');
    assert.equal(cfg.relay.batchSize, 2000);
  });

  it('accepts a password when there is no API key', () => {
    const { ODOO_API_KEY: _, ...env } = VALID;
    assert.equal(loadConfig({ ...env, ODOO_PASSWORD: 'pw' }).odoo.secret, 'pw');
  });

  it('names a missing variable in one line', () => {
    const msg = configError({ ...VALID, ODOO_DB: undefined });
    assert.match(msg, /^ODOO_DB: missing \(Odoo database name\)$/);
    assert.ok(!msg.includes('\n'));
  });

  it('names a malformed variable and never prints a secret', () => {
    const msg = configError({ ...VALID, AMQP_URL: 'http://user:topsecret@host', HTTP_LISTEN: 'nine' });
    assert.match(msg, /AMQP_URL: invalid/);
    assert.match(msg, /HTTP_LISTEN: invalid/);
    assert.ok(!msg.includes('topsecret'));
  });

  it('requires an API key or a password', () => {
    assert.match(configError({ ...VALID, ODOO_API_KEY: undefined }), /ODOO_API_KEY: missing \(API key of the service user, or set ODOO_PASSWORD\)/);
  });

  it('reads secrets from *_FILE variables and refuses both forms at once', () => {
    const files: Record<string, string> = { '/run/secrets/key': 'from-file\n' };
    const env = { ...VALID, ODOO_API_KEY: undefined, ODOO_API_KEY_FILE: '/run/secrets/key' };
    assert.equal(loadConfig(env, (p) => files[p] ?? '').odoo.secret, 'from-file');
    assert.match(configError({ ...VALID, ODOO_API_KEY_FILE: '/run/secrets/key' }, (p) => files[p] ?? ''), /either ODOO_API_KEY or ODOO_API_KEY_FILE/);
    const missing = () => {
      throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    };
    assert.match(configError({ ...VALID, ODOO_API_KEY: undefined, ODOO_API_KEY_FILE: '/x' }, missing), /ODOO_API_KEY_FILE: cannot read \/x \(ENOENT\)/);
  });

  it('treats empty strings as unset', () => {
    assert.deepEqual(resolveSecretFiles({ A: '', B: 'b' }), { B: 'b' });
  });

  it('redacts passwords in URLs', () => {
    assert.equal(redactUrl('amqps://bridge:s3cret@mq:5671/v'), 'amqps://bridge:***@mq:5671/v');
    assert.equal(redactUrl('amqp://mq:5672'), 'amqp://mq:5672');
  });

  it('describes every variable (the README table is generated from these)', () => {
    for (const [name, field] of Object.entries(envSchema.shape)) {
      assert.ok((field as { description?: string }).description, `${name} has no description`);
    }
  });
});
