import assert from 'node:assert/strict';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { Broker } from '../../sidecar/src/broker';
import type { ErpUpdate } from '@logistics-bridge/contract';
import { Applier, ApplierMetrics, type ApplyTarget } from '../../sidecar/src/inbound';
import { OdooTransportError } from '../../sidecar/src/odoo';
import { publishUpdates, silentLog, until, update } from '../support/applier';
import { AMQP_URL } from '../support/env';

/**
 * The applier on the real RabbitMQ with an in-memory Odoo (an inbox keyed by idempotency key, as the
 * addon's): what RabbitMQ failures do to it. The real Odoo is the odoo tier's (applier.odoo.spec.ts).
 */
class FakeOdoo implements ApplyTarget {
  readonly applied = new Map<string, number>();
  calls = 0;
  down = false;
  async executeKw(_model: string, _method: string, args: unknown[]): Promise<unknown> {
    this.calls++;
    await new Promise((r) => setTimeout(r, 10));
    if (this.down) throw new OdooTransportError('Odoo unreachable: ECONNREFUSED', 'ECONNREFUSED', { retryable: true });
    return (args[0] as ErpUpdate[]).map((u) => {
      const seen = this.applied.has(u.idempotency_key);
      this.applied.set(u.idempotency_key, (this.applied.get(u.idempotency_key) ?? 0) + (seen ? 0 : 1));
      return { idempotency_key: u.idempotency_key, status: seen ? 'duplicate' : 'applied' };
    });
  }
}

describe('inbound applier on the real RabbitMQ (fake Odoo)', function () {
  this.timeout(60_000);
  let conn: ChannelModel;
  let ch: Channel;
  const queues: string[] = [];
  const run = `${process.pid}-${Date.now()}`;

  before(async () => {
    conn = await amqp.connect(AMQP_URL);
    ch = await conn.createChannel();
  });
  after(async () => {
    for (const q of queues) await ch.deleteQueue(q).catch(() => undefined);
    await conn?.close().catch(() => undefined);
  });

  async function start(name: string, odoo: FakeOdoo) {
    const queue = `test.applier.${name}.${run}.logistics.updates`;
    queues.push(queue, `${queue}.dead`);
    const broker = await Broker.open({ url: AMQP_URL }, silentLog());
    const metrics = new ApplierMetrics();
    const applier = new Applier(broker, odoo, { queue, batchSize: 50, lingerMs: 5, prefetch: 200, concurrency: 2, log: silentLog(), metrics, batchRetryDelay: () => 50 });
    const controller = new AbortController();
    const running = applier.run(controller.signal);
    await applier.ready();
    return {
      queue,
      broker,
      metrics,
      async stop() {
        controller.abort();
        await running;
        await broker.close();
      },
    };
  }

  it('survives a cut RabbitMQ connection: consumes again after the reconnect, every update applied once, nothing left', async () => {
    const odoo = new FakeOdoo();
    const a = await start('reconnect', odoo);
    const keys = Array.from({ length: 2000 }, (_, i) => `rc-${run}:${i}`);
    await publishUpdates(ch, a.queue, keys.slice(0, 1500).map((k, i) => update(k, 'device.status', { status: 'online' }, { device_id: `d${i % 30}` })));
    await until('some applied', async () => odoo.applied.size > 100, 20_000, 5);
    let reconnected = false;
    a.broker.model.on('connect', () => (reconnected = true));
    const appliedAtCut = odoo.applied.size;
    const probe = await a.broker.model.createChannel();
    (probe.connection as unknown as { stream: { destroy(err?: Error): void } }).stream.destroy(new Error('test: network cut'));
    await until('reconnected', async () => reconnected && a.broker.isConnected(), 30_000, 20);
    await publishUpdates(ch, a.queue, keys.slice(1500).map((k, i) => update(k, 'device.status', { status: 'offline' }, { device_id: `d${i % 30}` })));
    await until('all applied and acked', async () => odoo.applied.size === keys.length && (await ch.checkQueue(a.queue)).messageCount === 0, 30_000, 50);
    await a.stop();
    assert.ok(appliedAtCut < 1500, 'the cut happened mid-stream');
    const counts = Object.fromEntries((await a.metrics.updates.get()).values.map((v) => [String(v.labels.outcome), v.value]));
    // Updates applied while the channel died could not be acked: redelivered, Odoo answered duplicate.
    assert.ok((counts.applied ?? 0) <= keys.length && (counts.applied ?? 0) + (counts.duplicate ?? 0) >= keys.length, JSON.stringify(counts));
    assert.equal(counts.dead, undefined);
  });

  it('holds the batch while Odoo is down: nothing acked, nothing dead, all applied once it is back', async () => {
    const odoo = new FakeOdoo();
    odoo.down = true;
    const a = await start('down', odoo);
    const keys = Array.from({ length: 300 }, (_, i) => `down-${run}:${i}`);
    await publishUpdates(ch, a.queue, keys.map((k) => update(k, 'device.status', { status: 'online' })));
    await until('several failed calls', async () => odoo.calls > 5, 20_000, 20);
    assert.equal(odoo.applied.size, 0);
    const failures = (await a.metrics.batchFailures.get()).values.find((v) => v.labels.why === 'transport')?.value ?? 0;
    assert.ok(failures > 0);
    odoo.down = false;
    await until('all applied', async () => odoo.applied.size === keys.length && (await ch.checkQueue(a.queue)).messageCount === 0, 20_000, 20);
    assert.equal((await ch.checkQueue(`${a.queue}.dead`)).messageCount, 0);
    await a.stop();
  });
});
