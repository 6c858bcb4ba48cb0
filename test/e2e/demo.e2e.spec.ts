import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Summary } from '../../tools/demo/display';
import { OdooFixtures } from '../../tools/fixtures';
import { odooTarget, oncePerBroker } from '../odoo/hooks';
import { AMQP_URL } from '../support/env';
import { freePort } from '../support/odoo';

/**
 * `npm run demo`, briefly, as a person runs it: against the odoo tier's Odoo and the test RabbitMQ with
 * the sidecar's variables and no sidecar running, so it starts one, seeds a warehouse of its own, streams
 * a few orders, runs the simulators (failing some jobs on purpose) and scans unknown barcodes. Odoo's
 * pickings then have moved on (shipped, exceptions), and the summary's Odoo figures are Odoo's own,
 * read here again after the demo ended.
 */
describe('e2e: npm run demo, a short run end to end', function () {
  this.timeout(420_000);
  const code = `D${process.pid % 10_000}`;

  it('moves the orders it streams through the chain and sums up what Odoo then shows', async function () {
    await oncePerBroker(this, 'demo run');
    const t = odooTarget();
    const env = {
      PATH: process.env.PATH ?? '',
      ODOO_URL: t.url,
      ODOO_DB: t.db,
      ODOO_LOGIN: t.service.login,
      ODOO_API_KEY: t.service.secret,
      ODOO_ADMIN_LOGIN: t.admin.login,
      ODOO_ADMIN_PASSWORD: t.admin.secret,
      AMQP_URL,
      HTTP_LISTEN: `127.0.0.1:${await freePort()}`,
      GRPC_LISTEN: `127.0.0.1:${await freePort()}`,
      LOG_LEVEL: 'warn',
    };
    const args = ['--orders', '8', '--rate', '60', '--speed', '20', '--fail-rate', '0.15', '--stray-every', '3', '--seed', '3', '--warehouse', code, '--settle', '150', '--plain'];
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', resolve(__dirname, '../../tools/demo/main.ts'), ...args], { cwd: resolve(__dirname, '../..'), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const status = await new Promise<number | null>((r) => child.once('exit', r));
    assert.equal(status, 0, out);
    assert.match(out, /Odoo -> RabbitMQ\s+events relayed/, 'no live display');
    // The last line is the demo's Summary, tagged `demo: "summary"` when printed.
    const summary = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Summary & { demo: string };
    assert.equal(summary.demo, 'summary', out);
    assert.equal(summary.sale_orders + summary.purchase_orders, 8);
    assert.equal(summary.purchase_orders, 1, 'the fifth order is a purchase order');
    assert.equal(summary.stray_scans, 2, 'sale orders 3 and 6 got an unknown barcode scanned');

    // Odoo, read again: the pickings of the demo's warehouse.
    const fx = await OdooFixtures.connect({ url: t.url, db: t.db, login: t.admin.login, password: t.admin.secret });
    const pickings = await fx.searchRead<{ state: string; lb_automation_state: string | false }>(
      'stock.picking',
      [['picking_type_id.warehouse_id.code', '=', code]],
      ['state', 'lb_automation_state'],
    );
    const count = (key: (p: (typeof pickings)[number]) => string) => pickings.reduce<Record<string, number>>((m, p) => ({ ...m, [key(p)]: (m[key(p)] ?? 0) + 1 }), {});
    assert.equal(summary.pickings, pickings.length);
    assert.deepEqual(summary.automation, count((p) => p.lb_automation_state || 'none'));
    assert.deepEqual(summary.state, count((p) => p.state));
    assert.equal(summary.exceptions, pickings.filter((p) => p.lb_automation_state === 'exception').length);

    // Statuses changed: pickings went through the devices to shipped and done (a failed job or an unknown
    // barcode leaves its picking in exception, until a later success of the same step clears it).
    assert.ok((summary.automation.shipped ?? 0) >= 1, `nothing shipped: ${JSON.stringify(summary.automation)}\n${out}`);
    assert.ok((summary.state.done ?? 0) >= 1, `nothing done in Odoo: ${JSON.stringify(summary.state)}`);
    assert.ok(pickings.every((p) => p.lb_automation_state), `a picking the devices never got: ${JSON.stringify(count((p) => p.lb_automation_state || 'none'))}`);
    const rejected = (await fx.call('logistics.bridge.update', 'search_count', [[['state', '=', 'rejected'], ['reason', 'ilike', 'product not found'], ['picking_id.picking_type_id.warehouse_id.code', '=', code]]])) as number;
    assert.equal(rejected, summary.stray_scans, 'each unknown barcode is one rejected inbox row');
    assert.equal(summary.rejected_updates, rejected);
    // The bridge's figures, from the sidecar the demo started (its counters start with the demo).
    assert.ok(summary.events_relayed >= pickings.length, `events relayed ${summary.events_relayed}`);
    assert.ok(summary.work_sent >= 1 && summary.work_acknowledged === summary.work_sent, `work sent ${summary.work_sent}, acknowledged ${summary.work_acknowledged}`);
    assert.ok(summary.updates_applied >= 1);
    assert.ok(summary.updates_rejected >= summary.stray_scans);
  });
});
