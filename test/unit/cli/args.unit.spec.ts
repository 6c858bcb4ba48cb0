import assert from 'node:assert/strict';
import { parseArgs, UsageError } from '../../../sidecar/src/cli/args';

describe('operator CLI arguments (unit)', () => {
  it('reads replay --since as an outbox id or an ISO time, with repeated --type', () => {
    assert.deepEqual(parseArgs(['replay', '--since', '1200', '--type', 'stock.picking.done', '--type', 'sale.order.confirmed']), {
      kind: 'replay',
      sinceId: 1200,
      types: ['stock.picking.done', 'sale.order.confirmed'],
      dryRun: false,
    });
    const byTime = parseArgs(['replay', '--since', '2026-11-26T10:00:00Z', '--limit', '50', '--dry-run']);
    assert.deepEqual(byTime, { kind: 'replay', since: '2026-11-26T10:00:00.000Z', types: [], limit: 50, dryRun: true });
    assert.deepEqual(parseArgs(['replay', '--since', '2026-11-26']), { kind: 'replay', since: '2026-11-26T00:00:00.000Z', types: [], dryRun: false });
  });

  it('refuses what an operator may mistype, with a message naming it', () => {
    assert.throws(() => parseArgs(['replay']), /--since/);
    assert.throws(() => parseArgs(['replay', '--since', 'yesterday']), /ISO 8601/);
    assert.throws(() => parseArgs(['replay', '--since', '5', '--type']), /needs a value/);
    assert.throws(() => parseArgs(['replay', '--since', '5', '--type', 'DROP TABLE']), /event type/);
    assert.throws(() => parseArgs(['stats']), UsageError);
  });

  it('knows status, schemas and help', () => {
    assert.deepEqual(parseArgs(['status', '--json']), { kind: 'status', json: true });
    assert.deepEqual(parseArgs(['schemas']), { kind: 'schemas' });
    assert.deepEqual(parseArgs(['help']), { kind: 'help' });
    assert.deepEqual(parseArgs(['doctor']), { kind: 'doctor', json: false });
  });

  it('refuses no command at all (the program then prints the usage and exits 2)', () => {
    assert.throws(() => parseArgs([]), UsageError);
    assert.throws(() => parseArgs(['doctor', '--fix']), /doctor: unknown argument --fix/);
  });

  it('reads dead list, show and replay, on the dead-letter queues the broker declares only', () => {
    assert.deepEqual(parseArgs(['dead', 'list', '--stage', 'rejected', '--json']), { kind: 'dead-list', queue: 'logistics.updates.dead', ids: [], stage: 'rejected', limit: 1000, json: true });
    assert.deepEqual(parseArgs(['dead', 'show', 'key-1', '--queue', 'logistics.device-work.dead']), { kind: 'dead-show', queue: 'logistics.device-work.dead', id: 'key-1' });
    assert.deepEqual(parseArgs(['dead', 'replay', '--id', 'a', '--id', 'b']), { kind: 'dead-replay', queue: 'logistics.updates.dead', select: { ids: ['a', 'b'] }, dryRun: false });
    assert.deepEqual(parseArgs(['dead', 'replay', '--stage', 'retries', '--dry-run']), { kind: 'dead-replay', queue: 'logistics.updates.dead', select: { stage: 'retries' }, dryRun: true });
    assert.deepEqual(parseArgs(['dead', 'replay', '--all']).kind, 'dead-replay');
    assert.throws(() => parseArgs(['dead', 'replay']), /choose what to replay/);
    assert.throws(() => parseArgs(['dead', 'replay', '--all', '--stage', 'rejected']), /one of them/);
    assert.throws(() => parseArgs(['dead', 'list', '--queue', 'logistics.updates']), /--queue takes one of logistics\.updates\.dead, logistics\.device-work\.dead/);
    assert.throws(() => parseArgs(['dead', 'show']), /exactly one id/);
    assert.throws(() => parseArgs(['dead', 'purge']), /expected list, show or replay/);
    assert.throws(() => parseArgs(['dead', 'show', 'x', '--all']), /unknown argument --all/);
  });
});
