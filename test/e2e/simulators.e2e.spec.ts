import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdapterClient, type Work } from '@logistics-bridge/adapter-sdk';
import type { Family } from '@logistics-bridge/contract';
import { DEFAULT_ADAPTERS, Floor, WORK_CAPABILITIES, followWork, parseWork, workIdOf, type FollowStats } from '../../adapters/simulators';
import { OdooFixtures } from '../../tools/fixtures';
import { odooTarget } from '../odoo/hooks';
import { startWorkChain, type WorkChain } from '../support/work-chain';

/**
 * The reference simulators against a real database, through the whole chain (Odoo → relay → RabbitMQ →
 * work → gateway → simulators → updates → applier → Odoo): they change exactly the pickings they got
 * work for, and those reach `shipped` (or an exception the simulator reported on purpose). Pickings
 * they got no work for stay as they were: released pickings of a second warehouse whose work goes to
 * that warehouse's adapters, a picking waiting for stock, a picking validated by hand before, and one
 * released and then cancelled (its work is void).
 */
const FAMILIES: readonly Family[] = ['robot_fleet', 'barcode', 'sorter'];
const EXAMPLE = JSON.parse(readFileSync(join(__dirname, '../../deploy/gateway-tokens.example.json'), 'utf8')) as Record<string, unknown>;
const OTHER_SITE: Record<Family, { adapterId: string; token: string }> = {
  barcode: { adapterId: 'wh2-barcode', token: 'wh2-barcode-token-0123' },
  sorter: { adapterId: 'wh2-sorter', token: 'wh2-sorter-token-01234' },
  robot_fleet: { adapterId: 'wh2-robots', token: 'wh2-robots-token-01234' },
};
const SNAPSHOT = ['state', 'lb_automation_state', 'carrier_tracking_ref', 'lb_sort_destination', 'lb_last_update_type'];

describe('e2e: the simulators follow the work they receive on a real database', function () {
  this.timeout(300_000);
  let chain: WorkChain;
  let fx: OdooFixtures;
  const clients: AdapterClient[] = [];

  before(async () => {
    const t = odooTarget();
    fx = await OdooFixtures.connect({ url: t.url, db: t.db, login: t.admin.login, password: t.admin.secret });
    const tokens: Record<string, unknown> = { ...EXAMPLE };
    for (const f of FAMILIES) tokens[OTHER_SITE[f].adapterId] = { token: OTHER_SITE[f].token, family: f, devices: ['*'], ratePerSecond: 1000 };
    chain = await startWorkChain({ workerId: 'e2e-sims', warehouses: ['', 'WH', 'WH2'], tokens });
  });

  after(async () => {
    await chain?.stop(clients);
  });

  async function pickingOf(so: { pickingIds: number[] }): Promise<{ id: number; name: string }> {
    const id = so.pickingIds[0] ?? 0;
    const [p] = await fx.searchRead<{ id: number; name: string }>('stock.picking', [['id', '=', id]], ['name']);
    assert.ok(p, 'the sale order has a delivery');
    return p;
  }

  async function snapshot(ids: number[]): Promise<Record<number, Record<string, unknown>>> {
    const rows = await fx.searchRead<Record<string, unknown> & { id: number }>('stock.picking', [['id', 'in', ids]], SNAPSHOT);
    return Object.fromEntries(rows.map(({ id, ...rest }) => [id, rest]));
  }

  it('changes exactly the pickings it got work for, each to shipped through the chain or to the exception it reported', async () => {
    const inboxBefore = Math.max(0, ...(await fx.searchRead<{ id: number }>('logistics.bridge.update', [], ['id'], 'id desc')).slice(0, 1).map((u) => u.id));
    // Two warehouses: WH, where the simulators work, and WH2, another site with its own adapters.
    await fx.call('stock.warehouse', 'create', [{ name: 'Second site', code: 'WH2' }]);
    const [wh2] = await fx.searchRead<{ id: number; lot_stock_id: [number, string] }>('stock.warehouse', [['code', '=', 'WH2']], ['lot_stock_id']);
    assert.ok(wh2);
    const withBarcode = await fx.product({ name: 'Sim widget', barcode: '4006381335102', defaultCode: 'SIM-1' });
    const withoutBarcode = await fx.product({ name: 'Sim gadget', defaultCode: 'SIM-2' });
    const outOfStock = await fx.product({ name: 'Sim backlog item', barcode: '5901234123457' });
    for (const p of [withBarcode, withoutBarcode]) await fx.setStock(p, 500);
    for (const p of [withBarcode, withoutBarcode]) {
      await fx.call('stock.quant', 'create', [{ product_id: p, location_id: wh2.lot_stock_id[0], inventory_quantity: 500 }], { context: { inventory_mode: true } }).then((q) =>
        fx.call('stock.quant', 'action_apply_inventory', [[q]], { context: { inventory_mode: true } }).catch(() => undefined),
      );
    }
    const customer = await fx.partner('Sim customer');

    // Before the chain's devices connect: a picking validated by hand, and one waiting for stock.
    const byHand = await pickingOf(await fx.saleOrder(customer, [{ productId: withBarcode, quantity: 1 }]));
    await fx.validatePicking(byHand.id);
    const waiting = await pickingOf(await fx.saleOrder(customer, [{ productId: outOfStock, quantity: 3 }]));
    // Released, then cancelled: its work is void and must not be acted on.
    const cancelledSo = await fx.saleOrder(customer, [{ productId: withBarcode, quantity: 2 }]);
    const cancelled = await pickingOf(cancelledSo);
    await fx.cancelSaleOrder(cancelledSo.id);

    // The other site's adapters: they take WH2's work (and acknowledge it) and do nothing with it.
    const otherSiteWork: string[] = [];
    for (const f of FAMILIES) {
      const c = new AdapterClient({ address: chain.grpcAddress, token: OTHER_SITE[f].token, family: f, adapterId: OTHER_SITE[f].adapterId, hello: { warehouse: 'WH2', capabilities: [WORK_CAPABILITIES[f]] } });
      c.on('work', (w: Work) => {
        const p = parseWork(w);
        if (p.ok && 'header' in p.job) otherSiteWork.push(JSON.stringify(p.job.header.picking));
        const id = workIdOf(w);
        if (id) c.ackWork(id, 'accepted'); // taken by the other site: done for its pool
      });
      clients.push(c);
      await c.start();
    }

    // The simulators of WH, as `npm run simulate -- all` runs them: default adapter ids and tokens.
    const controller = new AbortController();
    const floor = new Floor(FAMILIES, 60_000);
    const simWork = new Map<Family, string[]>();
    const runs: Array<Promise<FollowStats>> = [];
    for (const f of FAMILIES) {
      const c = new AdapterClient({ address: chain.grpcAddress, token: DEFAULT_ADAPTERS[f].token, family: f, adapterId: DEFAULT_ADAPTERS[f].adapterId, hello: { warehouse: 'WH', capabilities: [WORK_CAPABILITIES[f]], model: `${f}-simulator` } });
      c.on('work', (w: Work) => {
        const p = parseWork(w);
        if (p.ok && 'header' in p.job) simWork.set(f, [...(simWork.get(f) ?? []), JSON.stringify(p.job.header.picking)]);
      });
      clients.push(c);
      await c.start();
      runs.push(followWork({ family: f, client: c, devices: [`${f}-01`, `${f}-02`], seed: 7, failRate: 0.2, floor, signal: controller.signal }));
    }

    // Released pickings: four at WH (two lines, one product without barcode), two at WH2.
    const wh: Array<{ id: number; name: string }> = [];
    for (let i = 1; i <= 4; i++) wh.push(await pickingOf(await fx.saleOrder(customer, [{ productId: withBarcode, quantity: i }, { productId: withoutBarcode, quantity: 1 }])));
    const other: Array<{ id: number; name: string }> = [];
    for (let i = 1; i <= 2; i++) {
      const id = (await fx.call('sale.order', 'create', [{ partner_id: customer, warehouse_id: wh2.id, order_line: [[0, 0, { product_id: withBarcode, product_uom_qty: i }]] }])) as number;
      await fx.call('sale.order', 'action_confirm', [[id]]);
      const [so] = await fx.searchRead<{ picking_ids: number[] }>('sale.order', [['id', '=', id]], ['picking_ids']);
      other.push(await pickingOf({ pickingIds: so?.picking_ids ?? [] }));
    }
    const untouched = [byHand, waiting, cancelled, ...other];
    const before = await snapshot(untouched.map((p) => p.id));
    assert.equal(before[waiting.id]?.state === 'assigned', false, 'the waiting picking has no stock');

    // Until every WH picking is shipped or in the exception a simulator reported.
    const deadline = Date.now() + 180_000;
    let rows: Array<{ id: number; name: string; state: string; lb_automation_state: string | false; lb_last_exception: string | false }> = [];
    for (;;) {
      rows = await fx.searchRead('stock.picking', [['id', 'in', wh.map((p) => p.id)]], ['name', 'state', 'lb_automation_state', 'lb_last_exception']);
      if (rows.every((r) => r.lb_automation_state === 'shipped' || r.lb_automation_state === 'exception')) break;
      if (Date.now() > deadline) {
        const stuck = rows.filter((r) => r.lb_automation_state !== 'shipped' && r.lb_automation_state !== 'exception').map((r) => `stock.picking:${r.id}`);
        const outbox = await fx.searchRead('logistics.bridge.event', [['aggregate_key', 'in', stuck]], ['uuid', 'event_type', 'aggregate_key', 'state']);
        assert.fail(`not all worked pickings finished: ${JSON.stringify(rows)}\nwork: ${JSON.stringify([...simWork])}\ntheir events: ${JSON.stringify(outbox)}\n${chain.sidecar.output().slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    // Once more after the last update: nothing else arrives for the untouched ones.
    await Promise.all(clients.slice(FAMILIES.length).map((c) => c.flush(20_000)));
    await new Promise((r) => setTimeout(r, 3_000));
    controller.abort();
    await Promise.all(clients.map((c) => c.close(5_000).catch(() => undefined)));
    const stats = await Promise.all(runs);

    // The simulators got work for exactly the WH pickings, every family, and acted on nothing else.
    for (const f of FAMILIES) assert.deepEqual([...new Set(simWork.get(f))].sort(), wh.map((p) => JSON.stringify({ name: p.name })).sort(), `${f} work`);
    assert.ok(!otherSiteWork.some((w) => wh.some((p) => w.includes(p.name))), 'WH work went to the other site');
    assert.deepEqual(await snapshot(untouched.map((p) => p.id)), before, 'a picking without work for the simulators changed');

    const inbox = await fx.searchRead<{ picking_id: [number, string] | false; update_type: string; state: string; adapter_id: string; reason: string | false }>(
      'logistics.bridge.update',
      // This run's rows only: the demo spec, in the same database, runs the same default simulator ids with failures on purpose.
      [['id', '>', inboxBefore], ['adapter_id', 'in', FAMILIES.map((f) => DEFAULT_ADAPTERS[f].adapterId)], ['update_type', '!=', 'device.status']],
      ['picking_id', 'update_type', 'state', 'adapter_id', 'reason'],
    );
    assert.deepEqual(inbox.filter((u) => u.state !== 'applied'), [], 'every simulator update applies');
    assert.ok(inbox.every((u) => u.picking_id && wh.some((p) => p.id === (u.picking_id as [number, string])[0])), 'an update for a picking without work');
    for (const r of rows) {
      const types = inbox.filter((u) => u.picking_id && u.picking_id[0] === r.id).map((u) => u.update_type);
      if (r.lb_automation_state === 'shipped') {
        assert.equal(r.state, 'done', `${r.name} shipped but not done`);
        for (const t of ['pick.confirmed', 'pack.completed', 'parcel.sorted', 'shipment.labelled', 'shipment.dispatched']) assert.ok(types.includes(t), `${r.name}: no ${t} in ${types.join(', ')}`);
      } else {
        assert.ok(types.includes('task.failed'), `${r.name} in exception without a reported failure: ${r.lb_last_exception}`);
        assert.ok(!types.includes('shipment.dispatched'), `${r.name} dispatched after a failure`);
      }
    }
    const shipped = rows.filter((r) => r.lb_automation_state === 'shipped').length;
    const failed = stats.reduce((n, s) => n + s.failed, 0);
    assert.equal(shipped + rows.filter((r) => r.lb_automation_state === 'exception').length, wh.length);
    assert.ok(shipped >= 1, `nothing shipped (${failed} failures)`);
  });
});
