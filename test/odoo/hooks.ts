import amqp from 'amqplib';
import type { Context } from 'mocha';
import { AMQP_URL } from '../support/env';
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

/**
 * For the cases that take minutes: npm test runs the odoo-tier families for the first series on both
 * brokers and for the others on RabbitMQ 4 only, so such a case runs once per broker when it skips on
 * RabbitMQ 4 for every series but 19 (while an Odoo 19 is present to run it).
 */
export async function oncePerBroker(ctx: Context, what: string): Promise<void> {
  const conn = await amqp.connect(AMQP_URL.split(',')[0] ?? AMQP_URL);
  const major = Number(String(conn.connection.serverProperties.version ?? '0').split('.')[0]);
  await conn.close();
  const series = odooTarget().series;
  if (major >= 4 && series !== 19 && (await locateOdoo(process.env, 19)).kind !== 'none') {
    skipLoudly(ctx, `${what}: Odoo ${series} on RabbitMQ ${major}; it takes minutes, so it runs once per broker, here with Odoo 19`);
  }
}
