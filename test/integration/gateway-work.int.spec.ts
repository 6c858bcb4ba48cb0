import { strict as assert } from 'node:assert';
import { randomBytes, randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { WorkRouter } from '../../sidecar/src/work';
import { createLogger } from '../../sidecar/src/telemetry';
import { AMQP_URL } from '../support/env';
import { clientFor, startGateway, TestStream, tokenOf, type GatewayFixture } from '../support/gateway';

/** Flow 3: a released picking on logistics.events becomes a robot order on the fleet adapter's stream. */
describe('device gateway work routing (Flow 3)', function () {
  this.timeout(30_000);
  const suffix = randomBytes(4).toString('hex');
  const topology = { events: `test.gw.${suffix}.events`, unroutableExchange: `test.gw.${suffix}.unroutable`, unroutableQueue: `test.gw.${suffix}.unroutable` };
  let fx: GatewayFixture;
  let router: WorkRouter;
  const stopRouter = new AbortController();
  let routing: Promise<void>;
  before(async () => {
    fx = await startGateway();
    // Wired as main.ts does, on this test's own exchange and queue names.
    router = new WorkRouter({ source: fx.broker.model, sessions: () => fx.gateway.liveSessions(), metrics: fx.gateway.metrics, log: createLogger('error'), queue: `test.gw.${suffix}.device-work`, topology, retryMs: 200 });
    routing = router.run(stopRouter.signal);
  });
  after(async () => {
    stopRouter.abort();
    await routing;
    await fx.stop();
    const conn = await amqp.connect(AMQP_URL);
    const ch = await conn.createChannel();
    await ch.deleteQueue(router.queue);
    await ch.deleteQueue(`${router.queue}.dead`);
    await ch.deleteExchange(topology.events);
    await ch.deleteQueue(topology.unroutableQueue);
    await ch.deleteExchange(topology.unroutableExchange);
    await conn.close();
  });

  it('sends a robot order for stock.picking.ready to the adapter that announced work.robot_order, waiting for one to connect', async () => {
    const eventId = randomUUID();
    const conn = await amqp.connect(AMQP_URL);
    const ch = await conn.createConfirmChannel();
    // The queue is declared and bound by the router; wait until it consumes, then publish before any adapter is connected.
    for (let i = 0; ; i++) {
      const probe = await conn.createChannel(); // a failed checkQueue closes its channel
      probe.on('error', () => undefined); // answered by the rejected checkQueue
      // Consuming means declared and bound (the binding comes before the consume).
      const ok = await probe.checkQueue(router.queue).then(
        (q) => q.consumerCount > 0,
        () => false,
      );
      if (ok) break;
      assert.ok(i < 50, 'the gateway declares its work queue');
      await new Promise((r) => setTimeout(r, 100));
    }
    const payload = {
      shipment: { id: 42, name: 'WH/OUT/00042', direction: 'outbound', warehouse: { code: 'WH' }, state: 'assigned', carrier_tracking_ref: null },
      lines: [{ product: { id: 7, barcode: '4006381333931', default_code: 'SKU-7', name: 'Widget' }, quantity: 3, uom: 'Units', location: { id: 8, name: 'WH/Stock/A1', barcode: 'A-01-02' } }],
    };
    ch.publish(topology.events, 'stock.picking.ready', Buffer.from(JSON.stringify(payload)), { messageId: eventId, correlationId: 'corr-42', persistent: true });
    await ch.waitForConfirms();
    await conn.close();

    await new Promise((r) => setTimeout(r, 300));
    const s = new TestStream(clientFor('robot_fleet', fx.port), tokenOf('fleet-a'));
    s.send({ hello: { adapter_id: 'fleet-a', family: 'FAMILY_ROBOT_FLEET', stream_id: 'fleet-1', capabilities: ['work.robot_order'] } });
    await s.until(() => s.received.some((m) => m.kind === 'work'), 10_000);
    const work = s.received.find((m) => m.kind === 'work')?.work as { order: { header: { work_id: string; correlation_id: string; picking: { name: string } }; nodes: Array<{ location_barcode: string; actions: Array<{ action_type: string; parameters: Record<string, string> }> }> } };
    assert.equal(work.order.header.work_id, eventId);
    assert.equal(work.order.header.correlation_id, 'corr-42');
    assert.equal(work.order.header.picking.name, 'WH/OUT/00042');
    assert.equal(work.order.nodes[0]?.location_barcode, 'A-01-02');
    assert.deepEqual(work.order.nodes[0]?.actions[0]?.parameters, { product_barcode: '4006381333931', quantity: '3', location_barcode: 'A-01-02' });
    s.close();
  });
});
