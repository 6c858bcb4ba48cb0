import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { AdapterClient, connect, type Work } from '@logistics-bridge/adapter-sdk';
import type { Family } from '@logistics-bridge/contract';
import { DEFAULT_ADAPTERS, Floor, WORK_CAPABILITIES, followWork, parseWork, workIdOf, type FollowStats } from '../../adapters/simulators';
import { Fleet, MasterControl, SimulatedAgv, parseLayout, runFleetAdapter } from '../../adapters/vda5050';
import { poolNames, TOPOLOGY } from '../../sidecar/src/broker';
import { createLogger } from '../../sidecar/src/telemetry';
import { OdooFixtures } from '../../tools/fixtures';
import { odooTarget, oncePerBroker } from '../odoo/hooks';
import { startWorkChain, type WorkChain } from '../support/work-chain';

/**
 * Issue 11's "Done when", through the whole chain (Odoo → relay → RabbitMQ → work router → pool
 * queues → gateway → adapters → updates → applier → Odoo), on a real database:
 * 1. a backorder made by a split partial validation in Odoo gets its ready event and its work, and the
 *    simulators take it to `shipped` (the validated original's work is void and never reaches them);
 * 2. a picking whose robot order runs on a simulated VDA 5050 AGV is cancelled in Odoo: the AGV gets
 *    `cancelOrder` and nothing is confirmed for the picking;
 * 3. an adapter away for 3 minutes gets all work released meanwhile, each work item once.
 * Each case has a warehouse of its own (its own pool queues), so the cases do not see each other's work.
 */
const FAMILIES: readonly Family[] = ['robot_fleet', 'barcode', 'sorter'];
const EXAMPLE = JSON.parse(readFileSync(join(__dirname, '../../deploy/gateway-tokens.example.json'), 'utf8')) as Record<string, unknown>;
const VDA = { adapterId: 'lc-vda-fleet', token: 'lc-vda-fleet-token-0123', warehouse: 'LCV' };
const AWAY = { adapterId: 'lc-away-scanner', token: 'lc-away-scanner-token-01', warehouse: 'LCA' };
/** A scanner of the same warehouse that takes no work (no work capability): connected while the other is away. */
const READER = { adapterId: 'lc-scan-reader', token: 'lc-scan-reader-token-012' };
const MQTT_URL = 'mqtt://127.0.0.1:1883';
/** 3 minutes away: longer than 20 redelivery intervals of the old 5 s requeue loop (RabbitMQ 4's default delivery limit). */
const AWAY_MS = 180_000;

type Many2one = [number, string] | false;

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, limitMs: number, detail: () => string = () => ''): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) assert.fail(`gave up waiting for ${what}${detail() ? `\n${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('e2e: work through its life cycle on a real database (backorder, cancelled robot order, adapter away)', function () {
  this.timeout(600_000);
  let chain: WorkChain;
  let fx: OdooFixtures;
  let customer = 0;
  const clients: AdapterClient[] = [];

  before(async () => {
    const t = odooTarget();
    fx = await OdooFixtures.connect({ url: t.url, db: t.db, login: t.admin.login, password: t.admin.secret });
    const tokens: Record<string, unknown> = { ...EXAMPLE };
    tokens[VDA.adapterId] = { token: VDA.token, family: 'robot_fleet', devices: ['*'], ratePerSecond: 1000 };
    tokens[AWAY.adapterId] = { token: AWAY.token, family: 'barcode', devices: ['*'], ratePerSecond: 1000 };
    tokens[READER.adapterId] = { token: READER.token, family: 'barcode', devices: ['*'], ratePerSecond: 1000 };
    chain = await startWorkChain({ workerId: 'e2e-lifecycle', warehouses: ['', 'WH', VDA.warehouse, AWAY.warehouse], tokens });
    customer = await fx.partner('Lifecycle customer');
  });

  after(async () => {
    await chain?.stop(clients);
  });

  /** A warehouse of its own for a case, with stock of the product in its stock location. */
  async function warehouse(code: string, productId: number): Promise<{ id: number; stock: number; view: number }> {
    await fx.call('stock.warehouse', 'create', [{ name: `Lifecycle ${code}`, code }]);
    const [wh] = await fx.searchRead<{ id: number; lot_stock_id: Many2one; view_location_id: Many2one }>('stock.warehouse', [['code', '=', code]], ['lot_stock_id', 'view_location_id']);
    assert.ok(wh && wh.lot_stock_id && wh.view_location_id);
    const context = { inventory_mode: true };
    const quant = await fx.call('stock.quant', 'create', [{ product_id: productId, location_id: wh.lot_stock_id[0], inventory_quantity: 500 }], { context });
    // action_apply_inventory returns None, which XML-RPC cannot carry: the fault comes after the commit.
    await fx.call('stock.quant', 'action_apply_inventory', [[quant]], { context }).catch(() => undefined);
    return { id: wh.id, stock: wh.lot_stock_id[0], view: wh.view_location_id[0] };
  }

  /** A confirmed sale order at that warehouse; its delivery picking. */
  async function release(warehouseId: number, productId: number, quantity: number): Promise<{ id: number; name: string; so: number }> {
    const so = (await fx.call('sale.order', 'create', [{ partner_id: customer, warehouse_id: warehouseId, order_line: [[0, 0, { product_id: productId, product_uom_qty: quantity }]] }])) as number;
    await fx.call('sale.order', 'action_confirm', [[so]]);
    const [p] = await fx.searchRead<{ id: number; name: string }>('stock.picking', [['sale_id', '=', so]], ['name']);
    assert.ok(p, 'the sale order has a delivery');
    return { ...p, so };
  }

  /** The pool queue of (family, warehouse) exists once an adapter of it has connected: from then on its work is held there. */
  async function poolExists(family: Family, code: string): Promise<void> {
    await until(`the ${family} pool of ${code}`, async () => {
      const c = await chain.conn.createChannel();
      c.on('error', () => undefined);
      const ok = await c.checkQueue(poolNames(TOPOLOGY, family, code).queue).then(() => true, () => false);
      await c.close().catch(() => undefined);
      return ok;
    }, 30_000);
  }

  async function readyEvent(pickingId: number): Promise<{ uuid: string; state: string } | undefined> {
    const [e] = await fx.searchRead<{ uuid: string; state: string }>('logistics.bridge.event', [['event_type', '=', 'stock.picking.ready'], ['aggregate_key', '=', `stock.picking:${pickingId}`]], ['uuid', 'state']);
    return e;
  }

  it('1. a backorder made by a split partial validation gets its ready event and its work, and the simulators take it to shipped', async () => {
    const product = await fx.product({ name: 'Lifecycle widget', barcode: '4006381336109', defaultCode: 'LC-1' });
    await fx.setStock(product, 500);
    const [mainWh] = await fx.searchRead<{ id: number }>('stock.warehouse', [['code', '=', 'WH']], ['id']);
    assert.ok(mainWh);

    // The simulators have been here before (their pools exist), and are away while the original is released.
    const starters: AdapterClient[] = [];
    for (const f of FAMILIES) {
      const c = new AdapterClient({ address: chain.grpcAddress, token: DEFAULT_ADAPTERS[f].token, family: f, adapterId: DEFAULT_ADAPTERS[f].adapterId, hello: { warehouse: 'WH', capabilities: [WORK_CAPABILITIES[f]] } });
      await c.start();
      starters.push(c);
    }
    for (const f of FAMILIES) await poolExists(f, 'WH');
    await Promise.all(starters.map((c) => c.close(5_000)));

    // Released, then 1 of 4 validated by hand with "Create backorder": the original is done, the rest is the backorder.
    const original = await release(mainWh.id, product, 4);
    await until('the original released', () => readyEvent(original.id), 30_000);
    await fx.validatePicking(original.id, { quantities: { [product]: 1 }, backorder: 'create' });
    assert.equal(await fx.pickingState(original.id), 'done');
    const [backorder] = await fx.searchRead<{ id: number; name: string; state: string }>('stock.picking', [['backorder_id', '=', original.id]], ['name', 'state']);
    assert.ok(backorder, 'the wizard made a backorder');
    assert.equal(backorder.state, 'assigned');
    const ready = await until('the backorder’s stock.picking.ready', () => readyEvent(backorder.id), 30_000);

    // The simulators come back and follow the work they get.
    const controller = new AbortController();
    const floor = new Floor(FAMILIES, 60_000);
    const work = new Map<Family, Array<{ id: string; picking: string }>>();
    const sims: AdapterClient[] = [];
    const runs: Array<Promise<FollowStats>> = [];
    for (const f of FAMILIES) {
      const c = new AdapterClient({ address: chain.grpcAddress, token: DEFAULT_ADAPTERS[f].token, family: f, adapterId: DEFAULT_ADAPTERS[f].adapterId, hello: { warehouse: 'WH', capabilities: [WORK_CAPABILITIES[f]], model: `${f}-simulator` } });
      c.on('work', (w: Work) => {
        const p = parseWork(w);
        if (p.ok && 'header' in p.job) work.set(f, [...(work.get(f) ?? []), { id: workIdOf(w) ?? '', picking: JSON.stringify(p.job.header.picking) }]);
      });
      sims.push(c);
      clients.push(c);
      await c.start();
      runs.push(followWork({ family: f, client: c, devices: [`${f}-01`], seed: 11, failRate: 0, floor, signal: controller.signal }));
    }
    const row = await until(
      'the backorder shipped',
      async () => {
        const [r] = await fx.searchRead<{ state: string; lb_automation_state: string | false }>('stock.picking', [['id', '=', backorder.id]], ['state', 'lb_automation_state']);
        return r && r.lb_automation_state === 'shipped' ? r : undefined;
      },
      240_000,
      () => `work: ${JSON.stringify([...work])}\n${chain.sidecar.output().slice(-3000)}`,
    );
    controller.abort();
    await Promise.all(sims.map((c) => c.close(5_000).catch(() => undefined)));
    await Promise.all(runs);

    assert.equal(row.state, 'done', 'shipped but not done');
    // Every family got the backorder's work (the work id is its ready event), none the void original's.
    for (const f of FAMILIES) {
      assert.deepEqual([...new Set((work.get(f) ?? []).map((w) => w.picking))], [JSON.stringify({ name: backorder.name })], `${f} work`);
      assert.deepEqual([...new Set((work.get(f) ?? []).map((w) => w.id))], [ready.uuid], `${f} work id`);
    }
    const updates = await fx.searchRead<{ update_type: string; state: string }>('logistics.bridge.update', [['picking_id', '=', backorder.id]], ['update_type', 'state']);
    for (const t of ['pick.confirmed', 'pack.completed', 'parcel.sorted', 'shipment.labelled', 'shipment.dispatched']) {
      assert.ok(updates.some((u) => u.update_type === t && u.state === 'applied'), `no applied ${t} for the backorder: ${JSON.stringify(updates)}`);
    }
    assert.deepEqual(await fx.searchRead('logistics.bridge.update', [['picking_id', '=', original.id]], ['update_type']), [], 'an update for the original validated by hand');
  });

  it('2. a picking cancelled in Odoo while its robot order runs on the AGV: the AGV gets cancelOrder, nothing is confirmed', async () => {
    const product = await fx.product({ name: 'Lifecycle pallet', barcode: '4006381336208', defaultCode: 'LC-2' });
    const wh = await warehouse(VDA.warehouse, product);
    // The layout the admin maintains: the warehouse's stock location and a dock to drop at.
    const dock = (await fx.call('stock.location', 'create', [{ name: 'Dock', location_id: wh.view, usage: 'internal', barcode: `${VDA.warehouse}DOCK` }])) as number;
    await fx.call('logistics.bridge.vda.node', 'create', [{ location_id: wh.stock, node_id: 'lc-rack-1', x: 12, y: 4, theta: 0, map_id: 'lc-hall', station_type: 'rack' }]);
    await fx.call('logistics.bridge.vda.node', 'create', [{ location_id: dock, node_id: 'lc-dock', x: 2, y: 2, theta: 0, map_id: 'lc-hall', station_type: 'floor', drop_point: true }]);
    const layout = parseLayout(await fx.call('logistics.bridge.vda.node', 'vda_layout', []));

    const manufacturer = `lblc${randomBytes(4).toString('hex')}`;
    const serial = 'lc-agv-1';
    const ctl = new AbortController();
    const log = createLogger('error').child({ module: 'lifecycle-vda5050' });
    const wire: Array<{ topic: string; message: Record<string, unknown> }> = [];
    const spy: MqttClient = await mqtt.connectAsync(MQTT_URL, { clientId: `spy-${manufacturer}` });
    spy.on('message', (topic, payload) => payload.length > 0 && wire.push({ topic, message: JSON.parse(payload.toString('utf8')) as Record<string, unknown> }));
    await spy.subscribeAsync(`uagv/v2/${manufacturer}/#`, { qos: 1 });
    const master = new MasterControl({ url: MQTT_URL, manufacturer, log });
    await master.start(ctl.signal);
    // Slow enough that the order is still running when the cancel comes through the chain.
    const agv = new SimulatedAgv({ url: MQTT_URL, manufacturer, serialNumber: serial, position: { x: 0, y: 0, theta: 0, mapId: 'lc-hall' }, stepMs: 2_000 });
    const bridge = await connect({ address: chain.grpcAddress, token: VDA.token, family: 'robot_fleet', adapterId: VDA.adapterId, signal: ctl.signal, hello: { warehouse: VDA.warehouse, capabilities: ['work.robot_order'] } });
    clients.push(bridge);
    const fleet = new Fleet({ layout, loadType: 'EPAL', fleetDeviceId: VDA.adapterId });
    const running = runFleetAdapter({ bridge, master, fleet, log, signal: ctl.signal });
    try {
      await agv.start();
      await until('the AGV online in Odoo', async () => (await fx.searchRead<{ state: string }>('logistics.bridge.device', [['name', '=', serial]], ['state']))[0]?.state === 'online', 60_000);
      await poolExists('robot_fleet', VDA.warehouse);
      const states = () => wire.filter((w) => w.topic === `uagv/v2/${manufacturer}/${serial}/state`).map((w) => w.message as { orderId: string; nodeStates: unknown[]; actionStates: Array<{ actionId: string; actionType: string; actionStatus: string }> });

      const picking = await release(wh.id, product, 2);
      const ready = await until('its ready event', () => readyEvent(picking.id), 30_000);
      // The robot order (its id is the work id) is accepted by the vehicle and running.
      await until('the order running on the AGV', () => states().find((s) => s.orderId === ready.uuid && s.nodeStates.length > 0), 90_000, () => `${JSON.stringify(wire.slice(-5))}\n${chain.sidecar.output().slice(-2000)}`);

      await fx.cancelSaleOrder(picking.so);
      assert.equal(await fx.pickingState(picking.id), 'cancel');
      const cancel = await until(
        'cancelOrder at the AGV',
        () => wire.find((w) => w.topic === `uagv/v2/${manufacturer}/${serial}/instantActions` && (w.message.actions as Array<{ actionType: string }>).some((a) => a.actionType === 'cancelOrder')),
        60_000,
        () => chain.sidecar.output().slice(-2000),
      );
      assert.ok(cancel);
      await until('cancelOrder finished on the AGV', () => states().find((s) => s.orderId === ready.uuid && s.actionStates.some((a) => a.actionType === 'cancelOrder' && a.actionStatus === 'FINISHED')), 60_000);
      await until('the order cancelled in the fleet', () => fleet.order(ready.uuid)?.outcome, 30_000);
      assert.equal(fleet.order(ready.uuid)?.outcome, 'cancelled');
      // Longer than the rest of the order would have run: the vehicle stood still, no drop finished.
      await sleep(20_000);
      const last = states().at(-1);
      assert.ok(last);
      assert.deepEqual(last.nodeStates, [], 'the AGV still has nodes of the cancelled order');
      assert.ok(!states().some((s) => s.actionStates.some((a) => a.actionType === 'drop' && a.actionStatus === 'FINISHED')), 'the AGV dropped the cancelled order’s load');
      await bridge.flush(20_000);
      const updates = await fx.searchRead<{ update_type: string }>('logistics.bridge.update', [['picking_id', '=', picking.id]], ['update_type']);
      assert.deepEqual(updates.map((u) => u.update_type), [], 'an update for the cancelled picking');
      const [row] = await fx.searchRead<{ state: string; lb_automation_state: string | false }>('stock.picking', [['id', '=', picking.id]], ['state', 'lb_automation_state']);
      assert.equal(row?.state, 'cancel');
    } finally {
      await agv.stop();
      await bridge.close(2_000).catch(() => undefined);
      ctl.abort();
      await running.catch(() => undefined);
      for (const t of new Set(wire.filter((w) => w.topic.endsWith('/connection')).map((w) => w.topic))) await spy.publishAsync(t, '', { retain: true, qos: 1 });
      await spy.endAsync();
    }
  });

  it(
    '3. an adapter that connects after 3 minutes away receives all work released meanwhile, once (3 real minutes, so once per broker: on RabbitMQ 4, where a delivery limit of 20 would drop work, with the newest Odoo series present)',
    async function () {
      await oncePerBroker(this, 'work-lifecycle case 3');
      this.timeout(AWAY_MS + 300_000);
      const product = await fx.product({ name: 'Lifecycle parcel', barcode: '4006381336307', defaultCode: 'LC-3' });
      const wh = await warehouse(AWAY.warehouse, product);
      const opts = { address: chain.grpcAddress, token: AWAY.token, family: 'barcode' as const, adapterId: AWAY.adapterId, hello: { warehouse: AWAY.warehouse, capabilities: ['work.expected_scans'] } };
      const received: Array<{ id: string; picking: string; session: number }> = [];
      const session = async (n: number): Promise<AdapterClient> => {
        const c = new AdapterClient(opts);
        c.on('work', (w: Work) => {
          const p = parseWork(w);
          const id = workIdOf(w) ?? '';
          received.push({ id, picking: p.ok && 'header' in p.job ? JSON.stringify(p.job.header.picking) : '', session: n });
          if (id) c.ackWork(id, 'accepted');
        });
        clients.push(c);
        await c.start();
        return c;
      };
      // Connected once (its pool exists), then away.
      const first = await session(1);
      await poolExists('barcode', AWAY.warehouse);
      await first.close(5_000);
      const awaySince = Date.now();
      // Meanwhile a scanner of that warehouse without the work capability is connected: it must get no
      // work, and its presence must not put the work into a deliver-and-requeue loop (once 20 deliveries
      // per message on RabbitMQ 4's default limit, ~100 s at the old 5 s requeue).
      const reader = new AdapterClient({ address: chain.grpcAddress, token: READER.token, family: 'barcode', adapterId: READER.adapterId, hello: { warehouse: AWAY.warehouse, capabilities: [] } });
      const readerWork: string[] = [];
      reader.on('work', (w: Work) => readerWork.push(workIdOf(w) ?? ''));
      clients.push(reader);
      await reader.start();

      // Released while it is away: at once and halfway through.
      const released: Array<{ id: number; name: string; workId: string }> = [];
      const releaseSome = async (n: number) => {
        for (let i = 0; i < n; i++) {
          const p = await release(wh.id, product, i + 1);
          const e = await until('its ready event', () => readyEvent(p.id), 30_000);
          released.push({ id: p.id, name: p.name, workId: e.uuid });
        }
      };
      await releaseSome(3);
      await sleep(AWAY_MS / 2 - (Date.now() - awaySince));
      await releaseSome(3);
      await sleep(AWAY_MS - (Date.now() - awaySince));
      assert.equal(received.length, 0, `work reached the adapter while it was away: ${JSON.stringify(received)}`);
      await reader.close(5_000);
      assert.deepEqual(readerWork, [], 'work reached a scanner that takes none');

      const second = await session(2);
      await until('all work released meanwhile', () => released.every((r) => received.some((w) => w.id === r.workId)), 60_000, () => `${JSON.stringify(received)}\n${chain.sidecar.output().slice(-2000)}`);
      await second.flush(20_000);
      await sleep(5_000);
      await second.close(5_000);
      // Acknowledged once: with no consumer left on the pool, RabbitMQ holds nothing unacked for it any
      // more (it would have taken back what was not acknowledged), and a third connection gets nothing again.
      await until('no consumer on the pool', async () => {
        const c = await chain.conn.createChannel();
        const q = await c.checkQueue(poolNames(TOPOLOGY, 'barcode', AWAY.warehouse).queue);
        await c.close();
        return q.consumerCount === 0;
      }, 30_000);
      const third = await session(3);
      await sleep(10_000);
      await third.close(5_000);

      const count = (id: string) => received.filter((w) => w.id === id).length;
      assert.deepEqual(
        released.map((r) => ({ picking: r.name, deliveries: count(r.workId) })),
        released.map((r) => ({ picking: r.name, deliveries: 1 })),
        'each work item exactly once',
      );
      assert.deepEqual(received.filter((w) => !released.some((r) => r.workId === w.id)), [], 'work the adapter was not released');
      assert.deepEqual(received.map((w) => w.picking).sort(), released.map((r) => JSON.stringify({ name: r.name })).sort());
    },
  );
});
