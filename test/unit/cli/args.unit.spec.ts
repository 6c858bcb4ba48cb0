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
    assert.deepEqual(parseArgs([]), { kind: 'help' });
  });
});
