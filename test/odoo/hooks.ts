import type { Context } from 'mocha';
import { locateOdoo, startOdoo, type OdooTarget } from '../support/odoo';
import { skipLoudly } from '../support/skip';

/**
 * Mocha root hooks for the odoo tier: one private Odoo for the whole run (started before the first
 * suite, stopped and dropped after the last). Suites call `odooTarget()`.
 */
let target: OdooTarget | undefined;

export function odooTarget(): OdooTarget {
  if (!target) throw new Error('the odoo tier harness did not start (see the root hook output)');
  return target;
}

export const mochaHooks = {
  async beforeAll(this: Context) {
    this.timeout(600_000);
    const source = await locateOdoo();
    if (source.kind === 'none') {
      skipLoudly(this, `odoo tier for Odoo ${source.series}: ${source.why}`);
    }
    target = await startOdoo(source);
  },
  async afterAll(this: Context) {
    this.timeout(60_000);
    await target?.stop();
  },
};
