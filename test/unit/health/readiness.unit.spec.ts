import assert from 'node:assert/strict';
import { CheckFailure, readiness, splitHostPort } from '../../../sidecar/src/health';

describe('readiness', () => {
  it('is ready only when every check answers', async () => {
    const ok = { name: 'odoo', check: async () => undefined };
    const down = { name: 'rabbitmq', check: async () => Promise.reject(new Error('not connected to RabbitMQ')) };
    assert.deepEqual(await readiness([ok], 100), { ready: true, checks: { odoo: { ok: true } } });
    assert.deepEqual(await readiness([ok, down], 100), {
      ready: false,
      checks: { odoo: { ok: true }, rabbitmq: { ok: false, error: 'not connected to RabbitMQ' } },
    });
  });
  it('stays ready with a warning a check resolves with (an API key that expires soon)', async () => {
    const warn = { name: 'api_key', check: async () => ({ detail: 'expires 2026-12-04', warning: 'the key expires' }) };
    assert.deepEqual(await readiness([warn], 100), { ready: true, checks: { api_key: { ok: true, detail: 'expires 2026-12-04', warning: 'the key expires' } } });
  });
  it('gives up on a check that hangs, with the reason', async () => {
    const hang = { name: 'odoo', check: () => new Promise<void>(() => undefined) };
    const report = await readiness([hang], 20);
    assert.equal(report.ready, false);
    assert.match(report.checks.odoo?.error ?? '', /no answer within 20 ms/);
  });
  it('runs a check only after the one it depends on passed, and names the fix of a failure', async () => {
    const calls: string[] = [];
    const report = await readiness(
      [
        { name: 'odoo', check: async () => { calls.push('odoo'); return 'Odoo 18.0'; } },
        { name: 'odoo_login', after: 'odoo', check: async () => Promise.reject(new CheckFailure('the API key was refused', 'set ODOO_API_KEY')) },
        { name: 'logistics_bridge', after: 'odoo_login', check: async () => { calls.push('addon'); } },
      ],
      100,
    );
    assert.deepEqual(calls, ['odoo']);
    assert.deepEqual(report, {
      ready: false,
      checks: {
        odoo: { ok: true, detail: 'Odoo 18.0' },
        odoo_login: { ok: false, error: 'the API key was refused', fix: 'set ODOO_API_KEY' },
        logistics_bridge: { ok: false, error: 'not checked: odoo_login failed' },
      },
    });
  });
  it('reports a named cause instead of a bare timeout when the check says what a hang means', async () => {
    const report = await readiness([{ name: 'rabbitmq', check: () => new Promise<void>(() => undefined), onTimeout: { error: 'topology not declared', fix: 'see the log' } }], 20);
    assert.deepEqual(report.checks.rabbitmq, { ok: false, error: 'topology not declared', fix: 'see the log' });
  });
  it('splits listen addresses', () => {
    assert.deepEqual(splitHostPort('0.0.0.0:9464'), { host: '0.0.0.0', port: 9464 });
    assert.deepEqual(splitHostPort('[::1]:50051'), { host: '::1', port: 50051 });
    assert.deepEqual(splitHostPort(':80'), { host: '0.0.0.0', port: 80 });
  });
});
