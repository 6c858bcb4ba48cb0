import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { Applier, ApplierMetrics, DeadLetterRecorder, type DeadRecord } from '../../../sidecar/src/inbound';
import { OdooTransportError } from '../../../sidecar/src/odoo';
import { createLogger } from '../../../sidecar/src/telemetry';
import { FakeWorld, settle } from '../../support/fake-amqp';

const silent = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
const record = (id: string): DeadRecord => ({ id, stage: 'rejected', reason: 'product not found', body: '{}', at: new Date(0).toISOString() });

describe('dead-letter recorder (unit)', () => {
  it('records in Odoo after RabbitMQ confirmed the dead copy, with the id the CLI shows, the stage, reason, path and body', async () => {
    const world = new FakeWorld();
    const calls: Array<{ method: string; args: unknown[] }> = [];
    const odoo = {
      executeKw: async (_m: string, method: string, args: unknown[]) => {
        calls.push({ method, args });
        return (args[0] as DeadRecord[]).map((r) => ({ id: r.id, status: 'recorded' }));
      },
    };
    const recorder = new DeadLetterRecorder(odoo, { log: silent });
    const applier = new Applier(world as never, odoo, { queue: 'q', batchSize: 10, lingerMs: 1, prefetch: 10, log: silent, metrics: new ApplierMetrics(), recorder });
    const controller = new AbortController();
    const running = Promise.all([applier.run(controller.signal), recorder.run(controller.signal)]);
    await applier.ready();
    world.deliver('{"idempotency_key": 7}', { messageId: 'm-1' });
    world.deliver('not json');
    await settle();
    assert.equal(calls.length, 0, 'nothing recorded before the dead copies are confirmed');
    world.confirmAll();
    while (recorder.backlog > 0 || calls.length === 0) await settle();
    controller.abort();
    await running;
    const sent = calls.flatMap((c) => c.args[0] as DeadRecord[]);
    assert.deepEqual(calls.map((c) => c.method), calls.map(() => 'record_dead_letters'));
    assert.deepEqual(sent.map((r) => [r.id, r.stage, r.path, r.body]), [
      ['m-1', 'schema', 'type', '{"idempotency_key": 7}'],
      ['sha256:' + createHash('sha256').update('not json').digest('hex').slice(0, 16), 'schema', '', 'not json'],
    ]);
    assert.match(sent[0]?.reason ?? '', /^type: /);
  });

  it('keeps the records while Odoo is down and sends again those Odoo answers retry for, in order', async () => {
    let calls = 0;
    const seen: string[][] = [];
    const odoo = {
      executeKw: async (_m: string, _method: string, args: unknown[]) => {
        calls++;
        if (calls <= 2) throw new OdooTransportError('connect ECONNREFUSED', 'transport', { retryable: true });
        const batch = args[0] as DeadRecord[];
        seen.push(batch.map((r) => r.id));
        return batch.map((r) => ({ id: r.id, status: calls === 3 && r.id === 'b' ? 'retry' : 'recorded' }));
      },
    };
    const recorder = new DeadLetterRecorder(odoo, { log: silent, backoff: { baseMs: 1, maxMs: 2 } });
    const controller = new AbortController();
    const running = recorder.run(controller.signal);
    for (const id of ['a', 'b', 'c']) recorder.add(record(id));
    while (seen.length < 2) await settle();
    controller.abort();
    await running;
    assert.deepEqual(seen, [['a', 'b', 'c'], ['b']]);
    assert.equal(recorder.backlog, 0);
  });

  it('is bounded: beyond its capacity a record is left to the dead queue alone', async () => {
    const recorder = new DeadLetterRecorder({ executeKw: () => Promise.reject(new Error('down')) }, { log: silent, capacity: 2 });
    for (const id of ['a', 'b', 'c']) recorder.add(record(id));
    assert.equal(recorder.backlog, 2);
  });
});
