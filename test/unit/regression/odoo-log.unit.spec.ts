import assert from 'node:assert/strict';
import { compare, formatBaseline, parseBaseline, parseTestLog } from '../../regression/odoo-log';

// As Odoo writes them, with a space at the end of the line.
const at = (level: string, logger: string, message: string) => `2026-12-01 20:21:18,009 19098 ${level} lb_db ${logger}: ${message} `;
const MOVE = 'odoo.addons.stock.tests.test_move';
const TOUR = 'odoo.addons.stock.tests.test_picking_tours';

const LOG = [
  at('INFO', 'odoo.modules.loading', 'loading 120 modules...'),
  at('INFO', 'odoo.addons.partner_autocomplete.models.res_company', 'Starting enrich of company My Company (1)'),
  at('INFO', MOVE, 'Starting StockMove.test_in_1 ...'),
  at('INFO', MOVE, 'Starting StockMove.test_in_2 ...'),
  at('INFO', MOVE, '======================================================================'),
  at('ERROR', MOVE, 'FAIL: Subtest StockMove.test_in_2 (qty=1)'),
  'Traceback (most recent call last):',
  '  File "x.py", line 1, in test_in_2',
  at('ERROR', MOVE, 'FAIL: Subtest StockMove.test_in_2 (qty=2)'),
  at('INFO', TOUR, 'Starting TestStockPickingTour.test_lot ...'),
  at('ERROR', TOUR, 'ERROR: TestStockPickingTour.test_lot'),
  at('ERROR', 'unittest.suite', 'ERROR: setUpClass (odoo.addons.sale_stock.tests.test_sale_stock.TestSaleStock)'),
  at('ERROR', 'odoo.sql_db', 'bad query: INSERT INTO stock_move'),
  at('ERROR', 'odoo.tests.result', '2 failed, 1 error(s) of 3 tests when loading database'),
].join('\n');

describe('regression tier: reading Odoo test logs', () => {
  it('lists the tests that ran and those that failed (subtests under their test, class set-up errors under the class)', () => {
    const run = parseTestLog(LOG);
    assert.deepEqual(run.ran, ['stock.tests.test_move.StockMove.test_in_1', 'stock.tests.test_move.StockMove.test_in_2', 'stock.tests.test_picking_tours.TestStockPickingTour.test_lot']);
    assert.deepEqual(run.failed, [
      'sale_stock.tests.test_sale_stock.TestSaleStock.setUpClass',
      'stock.tests.test_move.StockMove.test_in_2',
      'stock.tests.test_picking_tours.TestStockPickingTour.test_lot',
    ]);
  });

  it('compares a run with the baseline: new, known and fixed failures, and tests that did not run', () => {
    const baseline = parseBaseline(formatBaseline({ header: ['command: x'], ran: 4, failed: ['stock.tests.test_picking_tours.TestStockPickingTour.test_lot', 'stock.tests.test_move.StockMove.test_in_1'], unreliable: [] }));
    assert.deepEqual(baseline.header, ['command: x']);
    const c = compare(baseline, parseTestLog(LOG));
    assert.deepEqual(c.newFailures, ['sale_stock.tests.test_sale_stock.TestSaleStock.setUpClass', 'stock.tests.test_move.StockMove.test_in_2']);
    assert.deepEqual(c.knownFailures, ['stock.tests.test_picking_tours.TestStockPickingTour.test_lot']);
    assert.deepEqual(c.fixed, ['stock.tests.test_move.StockMove.test_in_1']);
    assert.equal(c.passed, 1);
    assert.equal(c.missing, 1);
  });

  it('counts a failure of an unreliable class (browser tours) as known, and only of that class', () => {
    const baseline = parseBaseline(formatBaseline({ header: ['command: x'], ran: 4, failed: [], unreliable: ['stock.tests.test_picking_tours.TestStockPickingTour'] }));
    assert.deepEqual(baseline.unreliable, ['stock.tests.test_picking_tours.TestStockPickingTour']);
    const c = compare(baseline, parseTestLog(LOG));
    assert.deepEqual(c.knownFailures, ['stock.tests.test_picking_tours.TestStockPickingTour.test_lot']);
    assert.deepEqual(c.newFailures, ['sale_stock.tests.test_sale_stock.TestSaleStock.setUpClass', 'stock.tests.test_move.StockMove.test_in_2']);
  });

  it('refuses a baseline without its test count', () => {
    assert.throws(() => parseBaseline('# command: x\nstock.tests.test_move.StockMove.test_in_1\n'), /ran: <count>/);
  });
});
