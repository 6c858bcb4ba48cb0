import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * The addon's pure modules (backoff and canonical payloads, state machine, SLA rules, sort rules, receipt checks) are plain Python: their tests run here
 * without Odoo, so the unit tier checks them on every machine; the odoo tier runs the same tests inside Odoo.
 */
const ADDON = resolve(__dirname, '../../../odoo_addon/logistics_bridge');
const RUNNER = resolve(__dirname, '../../support/addon_lib_tests.py');
const MODULES = ['test_lib', 'test_picking_state', 'test_sla', 'test_sort_rules', 'test_receipt_check'];

describe('addon pure modules (python, without Odoo)', () => {
  for (const name of MODULES) {
    it(`${name} passes`, () => {
      const run = spawnSync(process.env.ODOO_PYTHON ?? 'python3', [RUNNER, ADDON, name], { encoding: 'utf8' });
      assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /^OK$/m, run.stdout);
    });
  }
});
