import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { ACK, Broker, ConfirmPublisher, Consumer, declareQueue, PublishError, updatesQueue, type Delivery } from '../../sidecar/src/broker';
import { createLogger } from '../../sidecar/src/telemetry';
import { skipLoudly } from '../support/skip';

/**
 * A 3-node RabbitMQ 4 cluster on this machine (tools/rabbitmq4.sh --cluster 3: nodes on 5681-5683), a
 * quorum queue of the bridge's kind with three members, and the broker module's own confirm publisher and
 * consumer, the ones the relay and the applier use. While messages flow, the node leading the queue is
 * SIGKILLed, then started again. Every confirmed message must be delivered (at least once), per aggregate
 * in the order published, and the sidecar's connection must move to a node that is up.
 */
const SCRIPT = join(__dirname, '..', '..', 'tools', 'rabbitmq4.sh');
const NODES = [5681, 5682, 5683];
const AMQP_URL = NODES.map((p) => `amqp://guest:guest@127.0.0.1:${p}`).join(',');
const AGGREGATES = 20;
const PER_AGGREGATE = 150;
const log = createLogger('error');

function cluster(...args: string[]): { ok: boolean; output: string } {
  const r = spawnSync('bash', [SCRIPT, '--cluster', String(NODES.length), ...args], { encoding: 'utf8', timeout: 600_000 });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

/** The node leading `queue`, from the management API of any node that answers. */
async function leaderOf(queue: string): Promise<number> {
  for (const port of NODES) {
    const res = await fetch(`http://127.0.0.1:${port + 10000}/api/queues/%2F/${encodeURIComponent(queue)}`, {
      headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
    }).catch(() => undefined);
    if (!res?.ok) continue;
    const q = (await res.json()) as { leader?: string; members?: string[] };
    const m = /^lbc(\d+)@/.exec(q.leader ?? '');
    if (m) return Number(m[1]);
  }
  throw new Error(`no node names a leader for ${queue}`);
}

describe('cluster: a 3-node RabbitMQ 4 cluster loses its queue leader while messages flow', function () {
  this.timeout(900_000);
  const queue = `lb.cluster.updates.${process.pid}`;
  let broker: Broker | undefined;

  before(function () {
    const up = cluster();
    if (!up.ok) {
      const tail = up.output.trim().split('\n').slice(-4).join('\n');
      skipLoudly(this, `cluster tier: tools/rabbitmq4.sh --cluster 3 failed (it needs root, debootstrap and the network once): ${tail}`, up.output.slice(-1500));
    }
  });

  after(async () => {
    await broker?.close();
    cluster(); // every node up again for whoever comes next
  });

  it('delivers every confirmed message once the cluster has a new leader, in order per aggregate, and reconnects to a live node', async () => {
    const registry = new Registry();
    broker = await Broker.open({ url: AMQP_URL }, log, registry);
    const spec = updatesQueue(queue);
    await declareQueue(broker.model, spec, log);

    const deliveries: Array<{ aggregate: number; seq: number; id: string }> = [];
    const stop = new AbortController();
    const consumer = new Consumer(broker.model, (d: Delivery) => {
      deliveries.push({ aggregate: Number(d.properties.headers?.aggregate), seq: Number(d.properties.headers?.seq), id: String(d.properties.messageId) });
      return ACK;
    }, { queue: spec, prefetch: 200, log });
    const consuming = consumer.run(stop.signal);

    // Per aggregate, message k+1 only after k was confirmed (what the relay guarantees per aggregate);
    // a publish that fails is sent again, as the relay does with an event the broker did not confirm.
    const publisher = new ConfirmPublisher(broker.model, { window: 500, log });
    const confirmed = new Set<string>();
    let failures = 0;
    const flow = Array.from({ length: AGGREGATES }, async (_, aggregate) => {
      for (let seq = 1; seq <= PER_AGGREGATE; seq++) {
        const id = `a${aggregate}-s${seq}`;
        for (;;) {
          try {
            await publisher.publish({ exchange: '', routingKey: queue, content: Buffer.from(id), options: { persistent: true, messageId: id, headers: { aggregate, seq } } });
            confirmed.add(id);
            break;
          } catch (err) {
            if (!(err instanceof PublishError)) throw err;
            failures++;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    });

    const total = AGGREGATES * PER_AGGREGATE;
    while (confirmed.size < total / 4) await new Promise((r) => setTimeout(r, 20));
    const leader = await leaderOf(queue);
    const killed = cluster('--kill', String(leader));
    assert.ok(killed.ok, killed.output);
    const atKill = confirmed.size;
    const stalled = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the flow stalled with the leader down: ${confirmed.size} of ${total} confirmed after 120 s`)), 120_000).unref());
    await Promise.race([Promise.all(flow), stalled]);
    assert.ok(atKill < total, 'the flow had ended before the leader was killed; the test proves nothing');
    const deadline = Date.now() + 120_000;
    while (new Set(deliveries.map((d) => d.id)).size < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const restarted = cluster();
    assert.ok(restarted.ok, restarted.output);
    stop.abort();
    await consuming;
    await publisher.close();
    const ch = await broker.model.createChannel();
    for (const q of [queue, `${queue}.dead`]) await ch.deleteQueue(q);
    await ch.close();

    const seen = new Set<string>();
    const last = new Map<number, number>();
    for (const d of deliveries) {
      if (seen.has(d.id)) continue;
      seen.add(d.id);
      assert.ok(d.seq > (last.get(d.aggregate) ?? 0), `aggregate ${d.aggregate}: message ${d.seq} arrived after ${last.get(d.aggregate)}`);
      last.set(d.aggregate, d.seq);
    }
    const lost = [...confirmed].filter((id) => !seen.has(id));
    process.stdout.write(`      leader lbc${leader} killed after ${atKill} of ${total} confirmed; ${failures} publishes failed and were sent again; ${deliveries.length - seen.size} redeliveries; ${lost.length} lost\n`);
    assert.deepEqual(lost, []);
    assert.match(await registry.metrics(), /logistics_bridge_broker_reconnects_total [1-9]/);
  });
});
