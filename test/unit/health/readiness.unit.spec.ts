import assert from 'node:assert/strict';
import { readiness, splitHostPort } from '../../../sidecar/src/health';

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
    const warn = { name: 'odoo', check: async () => 'the key expires' };
    assert.deepEqual(await readiness([warn], 100), { ready: true, checks: { odoo: { ok: true, warning: 'the key expires' } } });
  });
  it('gives up on a check that hangs, with the reason', async () => {
    const hang = { name: 'odoo', check: () => new Promise<void>(() => undefined) };
    const report = await readiness([hang], 20);
    assert.equal(report.ready, false);
    assert.match(report.checks.odoo?.error ?? '', /no answer within 20 ms/);
  });
  it('splits listen addresses', () => {
    assert.deepEqual(splitHostPort('0.0.0.0:9464'), { host: '0.0.0.0', port: 9464 });
    assert.deepEqual(splitHostPort('[::1]:50051'), { host: '::1', port: 50051 });
    assert.deepEqual(splitHostPort(':80'), { host: '0.0.0.0', port: 80 });
  });
});
