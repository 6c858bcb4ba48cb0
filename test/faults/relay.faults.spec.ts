import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import type { Client } from 'pg';
import { odooTarget } from '../odoo/hooks';
import { AMQP_URL } from '../support/env';
import { freePort } from '../support/odoo';
import { insertEvents, pgFor, productChanged } from '../support/outbox-sql';
import { pollJson, sidecarEnv, startSidecar, type SidecarProcess } from '../support/sidecar';

/**
 * Invariants 1, 3 and 5 under faults, with the real sidecar process: whatever is killed or cut while a
 * backlog drains, every committed event reaches the consumer (at least once) and, once duplicates are
 * dropped by messageId as a consumer does, in order per aggregate.
 */
// Large enough that a fault injected after the first few hundred deliveries lands mid-drain (asserted).
const AGGREGATES = 200;
const PER_AGGREGATE = 100;
let aggregateBase = 7_000_000 + (process.pid % 1000) * 1000;

interface Delivery {
  uuid: string;
  aggregate: string;
  outboxId: number;
  /** Arrival at the consumer (epoch ms). */
  at: number;
}

describe('faults: the outbox relay survives crashes and cuts without losing or reordering events', function () {
  this.timeout(300_000);
  let pg: Client;
  let conn: ChannelModel;
  let ch: Channel;
  let queue = '';
  let httpPort = 0;
  const deliveries: Delivery[] = [];
  const sidecars: SidecarProcess[] = [];

  function start(workerId: string, extra: Record<string, string> = {}): SidecarProcess {
    const t = odooTarget();
    const proc = startSidecar(sidecarEnv(t, {
      HTTP_LISTEN: `127.0.0.1:${httpPort}`,
      GRPC_LISTEN: '127.0.0.1:0',
      RELAY_WORKER_ID: workerId,
      RELAY_BATCH_SIZE: '100',
      RELAY_LEASE_SECONDS: '5',
      LOG_LEVEL: 'warn',
      ...extra,
    }));
    sidecars.push(proc);
    return proc;
  }

  before(async () => {
    pg = await pgFor(odooTarget().db);
    conn = await amqp.connect(AMQP_URL);
    ch = await conn.createChannel();
    await ch.assertExchange('logistics.events', 'topic', { durable: true, alternateExchange: 'logistics.unroutable' });
    ({ queue } = await ch.assertQueue('', { exclusive: true }));
    await ch.bindQueue(queue, 'logistics.events', 'product.changed');
    await ch.consume(queue, (m) => {
      if (!m) return;
      deliveries.push({ uuid: String(m.properties.messageId), aggregate: String(m.properties.headers?.['x-aggregate-key']), outboxId: Number(m.properties.headers?.['x-outbox-id']), at: Date.now() });
      ch.ack(m);
    });
  });

  beforeEach(async () => {
    httpPort = await freePort();
    deliveries.length = 0;
  });

  afterEach(async () => {
    for (const p of sidecars.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGKILL');
        await p.exited;
      }
    }
  });

  after(async () => {
    await conn?.close().catch(() => undefined);
    await pg?.end();
  });

  /** A backlog on aggregates nobody else uses; returns the committed uuids by outbox id. */
  async function backlog(): Promise<Map<number, string>> {
    aggregateBase += AGGREGATES;
    // Events of earlier tests are published; anything else pending would only slow this one down.
    await pg.query("UPDATE logistics_bridge_event SET state = 'published' WHERE state IN ('pending', 'claimed') AND aggregate_id < 7000000");
    const rows = [];
    for (let seq = 0; seq < PER_AGGREGATE; seq++) {
      for (let a = 0; a < AGGREGATES; a++) {
        const id = aggregateBase + a;
        rows.push({ eventType: 'product.changed', aggregateKey: `product.product:${id}`, payload: productChanged(id, seq), priority: 90 });
      }
    }
    const ids = await insertEvents(pg, rows);
    const res = await pg.query<{ id: number; uuid: string }>('SELECT id, uuid FROM logistics_bridge_event WHERE id = ANY($1)', [ids]);
    return new Map(res.rows.map((r) => [r.id, r.uuid]));
  }

  async function delivered(expected: Map<number, string>, timeoutMs = 180_000): Promise<void> {
    const want = new Set(expected.values());
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = new Set(deliveries.map((d) => d.uuid).filter((u) => want.has(u)));
      if (got.size === want.size) break;
      if (Date.now() > deadline) {
        const states = await pg.query('SELECT state, count(*) FROM logistics_bridge_event WHERE id = ANY($1) GROUP BY state', [[...expected.keys()]]);
        throw new Error(`${want.size - got.size} of ${want.size} events never arrived; outbox states ${JSON.stringify(states.rows)}\n${sidecars.map((s) => s.output().slice(-1500)).join('\n---\n')}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    // What a consumer sees after dropping redeliveries by messageId: per aggregate, outbox order.
    const seen = new Set<string>();
    const last = new Map<string, number>();
    for (const d of deliveries) {
      if (!want.has(d.uuid) || seen.has(d.uuid)) continue;
      seen.add(d.uuid);
      assert.ok(d.outboxId > (last.get(d.aggregate) ?? 0), `${d.aggregate}: event ${d.outboxId} arrived after ${last.get(d.aggregate)}`);
      last.set(d.aggregate, d.outboxId);
    }
    // The relay acks a batch to Odoo after the broker confirmed it, so the last acks may still be on their
    // way when the last message reaches the consumer: wait for them (bounded), then every row is published.
    const states = async () => {
      const rows = await pg.query<{ state: string; n: string }>('SELECT state, count(*) AS n FROM logistics_bridge_event WHERE id = ANY($1) GROUP BY state', [[...expected.keys()]]);
      return rows.rows.map((r) => [r.state, Number(r.n)]);
    };
    let now = await states();
    for (const until = Date.now() + 60_000; now.length !== 1 && Date.now() < until; now = await states()) await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(now, [['published', expected.size]]);
  }

  async function whenDelivered(n: number, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (deliveries.length < n) {
      if (Date.now() > deadline) throw new Error(`only ${deliveries.length} of ${n} deliveries\n${sidecars.map((s) => s.output().slice(-3000)).join('\n---\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('a sidecar SIGKILLed mid-drain: a new one under another worker id delivers the rest', async () => {
    const expected = await backlog();
    const first = start('faults-a');
    await whenDelivered(300);
    first.child.kill('SIGKILL');
    await first.exited;
    const partial = deliveries.length;
    assert.ok(partial < expected.size, 'the drain finished before the kill; the test proves nothing');
    start('faults-b');
    await delivered(expected);
  });

  it('a relay SIGKILLed mid-drain and restarted publishes what it had claimed at once, not after its lease', async () => {
    const expected = await backlog();
    // The default lease: only the relay registry can free the claims before a minute has passed.
    const first = start('faults-restart', { RELAY_LEASE_SECONDS: '60', LOG_LEVEL: 'info' });
    await whenDelivered(300);
    first.child.kill('SIGKILL');
    await first.exited;
    assert.ok(deliveries.length < expected.size, 'the drain finished before the kill; the test proves nothing');
    // Odoo finishes a call the relay made just before it died (e.g. a relay_claim acking batch N and
    // claiming N+1) after the process is gone, and messages already on the wire still arrive: the
    // claims the dead relay holds are those that stay put for a moment after the kill.
    const heldNow = () =>
      pg.query<{ uuid: string; expires: Date }>(
        "SELECT uuid, lease_expires_at AT TIME ZONE 'UTC' AS expires FROM logistics_bridge_event WHERE state = 'claimed' AND lease_owner = 'faults-restart' ORDER BY id",
      );
    let held = await heldNow();
    for (let same = 0; same < 2; ) {
      await new Promise((r) => setTimeout(r, 1_000));
      const again = await heldNow();
      same = again.rows.map((r) => r.uuid).join() === held.rows.map((r) => r.uuid).join() ? same + 1 : 0;
      held = again;
    }
    assert.ok(held.rows.length > 0, 'the relay must die holding claims');
    const leaseEnd = Math.min(...held.rows.map((r) => r.expires.getTime()));
    const restartedAt = Date.now();
    const second = start('faults-restart', { RELAY_LEASE_SECONDS: '60', LOG_LEVEL: 'info' });
    // The events the dead relay held, as they arrive again after the restart (the rest of the backlog
    // is the first test's concern: draining all of it takes minutes on a loaded machine).
    const claimed = new Set(held.rows.map((r) => r.uuid));
    const firstAfterRestart = new Map<string, number>();
    const deadline = Date.now() + 120_000;
    while (firstAfterRestart.size < claimed.size) {
      for (const d of deliveries) if (claimed.has(d.uuid) && d.at >= restartedAt && !firstAfterRestart.has(d.uuid)) firstAfterRestart.set(d.uuid, d.at);
      if (Date.now() > deadline) {
        const states = await pg.query('SELECT state, lease_owner, count(*) FROM logistics_bridge_event WHERE uuid = ANY($1) GROUP BY 1, 2', [[...claimed]]);
        const before = deliveries.filter((d) => claimed.has(d.uuid) && d.at < restartedAt).length;
        throw new Error(`${claimed.size - firstAfterRestart.size} of ${claimed.size} held events not published again (${before} deliveries of them before the restart); now ${JSON.stringify(states.rows)}\n${sidecars.map((p) => p.output().slice(-3000)).join('\n---\n')}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const last = Math.max(...firstAfterRestart.values());
    // When the restarted process took over its predecessor (its log line), apart from its boot time.
    const takeover = /"message":"earlier relay processes of this host are gone[^\n]*"timestamp":"([^"]+)"/.exec(second.output())?.[1];
    const sinceTakeover = takeover ? `, ${((last - Date.parse(takeover)) / 1000).toFixed(2)} s after it took over (process start to take-over ${((Date.parse(takeover) - restartedAt) / 1000).toFixed(2)} s)` : '';
    process.stdout.write(`      the ${claimed.size} events the killed relay held were published ${((last - restartedAt) / 1000).toFixed(2)} s after its restart${sinceTakeover}; their lease would have freed them ${((leaseEnd - restartedAt) / 1000).toFixed(1)} s after it\n`);
    assert.ok(last < leaseEnd, 'published before their lease expired: the restart freed them, not the lease');
  });

  it('RabbitMQ closing the connection mid-drain: the relay reconnects and delivers everything', async () => {
    const proc = start('faults-c');
    await pollJson(`http://127.0.0.1:${httpPort}/readyz`, (s) => s === 200, 60_000);
    // Look the connection up first, so the cut lands early in the drain. A management API lists a new
    // connection only with its next statistics round (5 s by default on RabbitMQ 4): ask until it does.
    let cut = await brokerConnections(`logistics-bridge-${proc.child.pid}`);
    for (const until = Date.now() + 30_000; !cut.found && Date.now() < until; cut = await brokerConnections(`logistics-bridge-${proc.child.pid}`)) {
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(cut.found > 0, `the sidecar's connection was not found in:\n${cut.listing}`);
    const expected = await backlog();
    await whenDelivered(100);
    // Closing a connection through rabbitmqctl (RabbitMQ 3.10 here has no management API) takes one to
    // several seconds on a loaded machine, and the backlog drains in four at full speed: the outbox table is
    // locked meanwhile, so the relay's next claim waits in Odoo and the cut lands mid-drain.
    const hold = await pgFor(odooTarget().db);
    await hold.query('BEGIN');
    await hold.query('LOCK TABLE logistics_bridge_event IN EXCLUSIVE MODE');
    try {
      await cut.close('faults test: broker closed the connection');
      assert.ok(deliveries.length < expected.size, 'the drain finished before the cut; the test proves nothing');
    } finally {
      await hold.query('COMMIT');
      await hold.end();
    }
    await delivered(expected);
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    assert.match(metrics, /logistics_bridge_broker_reconnects_total [1-9]/);
  });

  it('Odoo crashing mid-drain: the relay waits, re-authenticates and delivers everything', async function () {
    const t = odooTarget();
    if (!t.crashAndRestart) this.skip();
    const expected = await backlog();
    start('faults-d');
    await whenDelivered(300);
    await t.crashAndRestart?.();
    assert.ok(deliveries.length < expected.size, 'the drain finished before the crash; the test proves nothing');
    await delivered(expected);
  });
});

/**
 * The connections of the broker under test (AMQP_URL) named `name`, and a way to close them as the broker
 * would: through its management API where it has one (RabbitMQ 4 here, port + 10000), else with the
 * local node's rabbitmqctl (the machine's RabbitMQ 3.10, which runs without the management plugin).
 */
async function brokerConnections(name: string): Promise<{ found: number; listing: string; close: (reason: string) => Promise<void> }> {
  const url = new URL(AMQP_URL);
  const api = `http://${url.hostname}:${Number(url.port || 5672) + 10000}/api/connections`;
  const auth = `Basic ${Buffer.from(`${decodeURIComponent(url.username || 'guest')}:${decodeURIComponent(url.password || 'guest')}`).toString('base64')}`;
  const listed = await fetch(api, { headers: { authorization: auth } }).catch(() => undefined);
  if (listed?.ok) {
    const all = (await listed.json()) as Array<{ name: string; client_properties?: { connection_name?: string } }>;
    const mine = all.filter((c) => c.client_properties?.connection_name === name);
    return {
      found: mine.length,
      listing: JSON.stringify(all.map((c) => c.client_properties?.connection_name)),
      close: async (reason) => {
        for (const c of mine) await fetch(`${api}/${encodeURIComponent(c.name)}`, { method: 'DELETE', headers: { authorization: auth, 'x-reason': reason } });
      },
    };
  }
  const list = execFileSync('rabbitmqctl', ['-q', 'list_connections', 'pid', 'client_properties'], { encoding: 'utf8' });
  const pids = list.split('\n').filter((l) => l.includes(name)).map((l) => l.split('\t')[0] ?? '');
  return {
    found: pids.length,
    listing: list,
    close: async (reason) => {
      for (const connPid of pids) execFileSync('rabbitmqctl', ['-q', 'close_connection', connPid, reason]);
    },
  };
}
