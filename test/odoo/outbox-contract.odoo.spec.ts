import assert from 'node:assert/strict';
import { OdooAccessError, OdooClient } from '../../sidecar/src/odoo';
import { OdooFixtures } from '../../tools/fixtures';
import { odooTarget } from './hooks';

/** relay_claim's answer: the acks it made first, and the claimed rows as one JSON text. */
interface ClaimAnswer {
  events: string;
  acked: number[];
  refused: number[];
}

interface ClaimedEvent {
  id: number;
  uuid: string;
  event_type: string;
  aggregate_key: string;
  payload: string;
  correlation_id: string;
}

/**
 * The addon's relay API as the sidecar sees it: a real sale order confirmed by an administrator (through
 * odoo-await) becomes canonical events that the service user claims, acks and nacks over JSON-RPC.
 */
describe('odoo tier: outbox events and the relay API over JSON-RPC', function () {
  this.timeout(120_000);
  let fx: OdooFixtures;
  let service: OdooClient;
  const worker = `contract-${process.pid}`;

  before(async () => {
    const t = odooTarget();
    fx = await OdooFixtures.connect({ url: t.url, db: t.db, login: t.admin.login, password: t.admin.secret });
    service = new OdooClient({ url: t.url, db: t.db, login: t.service.login, secret: t.service.secret });
  });
  after(() => service.close());

  async function claim(limit: number, ackIds: number[] = []): Promise<ClaimedEvent[]> {
    const answer = (await service.executeKw('logistics.bridge.event', 'relay_claim', [worker, limit], { ack_ids: ackIds })) as ClaimAnswer;
    assert.deepEqual([answer.acked, answer.refused], [[...ackIds].sort((a, b) => a - b), []], 'the claim acked the previous batch first');
    return JSON.parse(answer.events) as ClaimedEvent[];
  }

  /** Claims until nothing is left, each claim acking the previous batch (as the relay does). */
  async function claimAll(): Promise<ClaimedEvent[]> {
    const out: ClaimedEvent[] = [];
    for (let ack: number[] = []; ; ) {
      const batch = await claim(500, ack);
      if (!batch.length) return out;
      out.push(...batch);
      ack = batch.map((e) => e.id);
    }
  }

  it('turns a confirmed sale order into sale.order.confirmed, then stock.picking.ready once stock is reserved', async () => {
    const product = await fx.product({ name: 'Contract widget', barcode: '4006381333931', defaultCode: 'CW-1' });
    await fx.setStock(product, 10);
    const customer = await fx.partner('Contract customer');
    await claimAll(); // whatever the fixtures emitted (product.changed, inventory)
    const so = await fx.saleOrder(customer, [{ productId: product, quantity: 3 }]);
    const events = (await claimAll()).filter((e) => e.correlation_id === so.name || e.aggregate_key === `sale.order:${so.id}`);
    const types = events.map((e) => e.event_type);
    assert.ok(types.includes('sale.order.confirmed'), `got ${types.join(', ')}`);
    assert.ok(types.includes('stock.picking.ready'), `got ${types.join(', ')}`);
    assert.ok(types.indexOf('sale.order.confirmed') < types.indexOf('stock.picking.ready'));

    const confirmed = JSON.parse(events.find((e) => e.event_type === 'sale.order.confirmed')?.payload ?? '{}') as Record<string, unknown>;
    const text = JSON.stringify(confirmed);
    assert.ok(text.includes(so.name), 'the order payload names the order');
    assert.ok(text.includes('CW-1') && text.includes('4006381333931'), 'product references carry internal reference and barcode');
    assert.ok(!/street|email|phone/i.test(text), `personal data leaked into the payload: ${text}`);
    const ready = JSON.parse(events.find((e) => e.event_type === 'stock.picking.ready')?.payload ?? '{}') as Record<string, unknown>;
    assert.equal((ready.shipment as { direction?: string } | undefined)?.direction, 'outbound');
    assert.match(events[0]?.uuid ?? '', /^[0-9a-f-]{36}$/);
  });

  it('refuses an ack from a worker that does not hold the lease, and dead-letters a permanent nack', async () => {
    const product = await fx.product({ name: 'Lease widget' });
    await claimAll();
    await fx.call('product.product', 'write', [[product], { name: 'Lease widget v2' }]);
    const batch = await claim(50);
    assert.ok(batch.length > 0, 'writing a product emits product.changed');
    const ids = batch.map((e) => e.id);
    const stolen = (await service.executeKw('logistics.bridge.event', 'relay_ack', ['someone-else', ids])) as { acked: number[]; refused: number[] };
    assert.deepEqual(stolen.acked, []);
    assert.deepEqual(stolen.refused.sort(), [...ids].sort());
    const nacked = (await service.executeKw('logistics.bridge.event', 'relay_nack', [worker, ids.map((id) => ({ id, error: 'payload failed schema: /product/uom', permanent: true }))])) as { dead: number[] };
    assert.deepEqual(nacked.dead.sort(), [...ids].sort());
    const stats = (await service.executeKw('logistics.bridge.event', 'relay_stats', [])) as { dead: number };
    assert.ok(stats.dead >= ids.length);
  });

  it('does not let the service user write sale orders', async () => {
    const customer = await fx.partner('Not for the service user');
    const so = await fx.saleOrder(customer, [], false);
    await assert.rejects(service.executeKw('sale.order', 'write', [[so.id], { note: 'hacked' }]), OdooAccessError);
  });
});
