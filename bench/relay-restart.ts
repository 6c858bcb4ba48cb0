import amqp from 'amqplib';
import { AMQP_URL } from '../test/support/env';
import { freePort, locateOdoo, startOdoo, type OdooSeries } from '../test/support/odoo';
import { insertEvents, pgFor, productChanged } from '../test/support/outbox-sql';
import { sidecarEnv, startSidecar, type SidecarProcess } from '../test/support/sidecar';
import { numericFlags } from './args';
import { seriesFlag, sideBySide } from './series';

/**
 * `npm run bench -- relay-restart [--series 18,19] [--kills 3] [--events 20000]`
 *
 * Issue 13's figure "a relay killed mid-drain has its claimed events published within 5 s of its
 * restart", measured with the real sidecar process against a private Odoo: `kills` times, a backlog of
 * `events` outbox rows drains through a sidecar (default lease 60 s); after its first 300 deliveries it
 * is SIGKILLed; once the claims it holds stay put (what Odoo and the wire had in flight has landed) the
 * same sidecar (same RELAY_WORKER_ID, same host) is started again, and the clock runs from that start to
 * the moment the last of the held events reached a consumer again. Also printed: from the take-over log
 * line (boot time apart) and the time the lease alone would have taken. p50 / max over the kills; the
 * last line is JSON (the first series' figures and `by_series`).
 */
const say = (line: string) => process.stdout.write(`${line}\n`);
const WORKER = `bench-restart-${process.pid}`;

interface Kill {
  held: number;
  restartToPublishedS: number;
  takeoverToPublishedS: number | null;
  leaseWouldFreeS: number;
}

export async function main(argv: string[]): Promise<void> {
  const { series, rest } = await seriesFlag(argv, say);
  const args = numericFlags(rest, { kills: 3, events: 20_000 });
  if (args.kills < 1 || args.events < 1000) throw new Error('--kills must be at least 1 and --events at least 1000');
  const bySeries: Partial<Record<OdooSeries, ReturnType<typeof summary>>> = {};
  for (const s of series) bySeries[s] = summary(await againstOdoo(s, args));
  say(`\nrestart → the killed relay's claims published, over ${args.kills} kills (${args.events} events each)`);
  const fmt = (f: (x: ReturnType<typeof summary>) => string) => Object.fromEntries(series.map((s) => [s, f(bySeries[s] as ReturnType<typeof summary>)]));
  say(sideBySide([
    ['held claims per kill (median)', fmt((x) => String(x.held_median))],
    ['restart → published p50 (s)', fmt((x) => x.restart_to_published_p50_s.toFixed(2))],
    ['restart → published max (s)', fmt((x) => x.restart_to_published_max_s.toFixed(2))],
    ['take-over → published max (s)', fmt((x) => (x.takeover_to_published_max_s === null ? '-' : x.takeover_to_published_max_s.toFixed(2)))],
    ['the lease would have freed them (s, min)', fmt((x) => x.lease_would_free_min_s.toFixed(1))],
  ], series));
  say(JSON.stringify({ bench: 'relay-restart', amqp: new URL(AMQP_URL).port || '5672', kills: args.kills, events: args.events, ...bySeries[series[0] as OdooSeries], by_series: bySeries }));
}

function summary(kills: Kill[]) {
  const sorted = (f: (k: Kill) => number) => kills.map(f).sort((a, b) => a - b);
  const restart = sorted((k) => k.restartToPublishedS);
  const takeover = kills.map((k) => k.takeoverToPublishedS).filter((x): x is number => x !== null);
  return {
    held_median: sorted((k) => k.held)[Math.floor(kills.length / 2)] as number,
    restart_to_published_p50_s: restart[Math.floor((restart.length - 1) / 2)] as number,
    restart_to_published_max_s: restart[restart.length - 1] as number,
    takeover_to_published_max_s: takeover.length ? Math.max(...takeover) : null,
    lease_would_free_min_s: Math.min(...kills.map((k) => k.leaseWouldFreeS)),
    per_kill: kills,
  };
}

async function againstOdoo(series: OdooSeries, args: { kills: number; events: number }): Promise<Kill[]> {
  const source = await locateOdoo(process.env, series);
  say(`\n[Odoo ${series}] starting Odoo ${series} with the addon...`);
  const target = await startOdoo(source, { db: `lb_bench_restart_${series}_${process.pid}`, log: (l) => say(`   ${l}`) });
  const pg = await pgFor(target.db);
  const conn = await amqp.connect(AMQP_URL);
  const sidecars: SidecarProcess[] = [];
  const kills: Kill[] = [];
  try {
    const ch = await conn.createChannel();
    await ch.assertExchange('logistics.events', 'topic', { durable: true, alternateExchange: 'logistics.unroutable' });
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, 'logistics.events', 'product.changed');
    const arrivals: Array<{ uuid: string; at: number }> = [];
    await ch.consume(queue, (m) => m && arrivals.push({ uuid: String(m.properties.messageId), at: Date.now() }), { noAck: true });
    const httpPort = await freePort();
    const start = () => {
      const p = startSidecar(sidecarEnv(target, { HTTP_LISTEN: `127.0.0.1:${httpPort}`, GRPC_LISTEN: '127.0.0.1:0', RELAY_WORKER_ID: WORKER, RELAY_BATCH_SIZE: '100', RELAY_LEASE_SECONDS: '60', LOG_LEVEL: 'info' }));
      sidecars.push(p);
      return p;
    };
    const held = async () =>
      (await pg.query<{ uuid: string; expires: Date }>("SELECT uuid, lease_expires_at AT TIME ZONE 'UTC' AS expires FROM logistics_bridge_event WHERE state = 'claimed' AND lease_owner = $1 ORDER BY id", [WORKER])).rows;
    for (let k = 0; k < args.kills; k++) {
      // A fresh backlog; what the previous round left is taken out of the way.
      await pg.query("UPDATE logistics_bridge_event SET state = 'published' WHERE state IN ('pending', 'claimed')");
      const base = 8_000_000 + k * 10_000;
      const rows = Array.from({ length: args.events }, (_, i) => ({ eventType: 'product.changed', aggregateKey: `product.product:${base + (i % 200)}`, payload: productChanged(base + (i % 200), Math.floor(i / 200)), priority: 90 }));
      await insertEvents(pg, rows);
      arrivals.length = 0;
      const first = start();
      while (arrivals.length < 300) {
        if (first.child.exitCode !== null) throw new Error(`the sidecar exited\n${first.output().slice(-2000)}`);
        await sleep(20);
      }
      first.child.kill('SIGKILL');
      await first.exited;
      let claims = await held();
      for (let same = 0; same < 2; ) {
        await sleep(1_000);
        const again = await held();
        same = again.map((r) => r.uuid).join() === claims.map((r) => r.uuid).join() ? same + 1 : 0;
        claims = again;
      }
      if (claims.length === 0) throw new Error('the relay died holding no claims (the backlog drained first?): raise --events');
      const leaseEnd = Math.min(...claims.map((r) => r.expires.getTime()));
      const restartedAt = Date.now();
      const second = start();
      const want = new Set(claims.map((r) => r.uuid));
      const seen = new Map<string, number>();
      const deadline = restartedAt + 180_000;
      while (seen.size < want.size) {
        for (const a of arrivals) if (a.at >= restartedAt && want.has(a.uuid) && !seen.has(a.uuid)) seen.set(a.uuid, a.at);
        if (Date.now() > deadline) throw new Error(`${want.size - seen.size} held events not published within 180 s\n${second.output().slice(-2000)}`);
        await sleep(20);
      }
      const last = Math.max(...seen.values());
      const takeover = /"message":"earlier relay processes of this host are gone[^\n]*"timestamp":"([^"]+)"/.exec(second.output())?.[1];
      const kill: Kill = {
        held: claims.length,
        restartToPublishedS: (last - restartedAt) / 1000,
        takeoverToPublishedS: takeover ? (last - Date.parse(takeover)) / 1000 : null,
        leaseWouldFreeS: (leaseEnd - restartedAt) / 1000,
      };
      kills.push(kill);
      say(`   kill ${k + 1}: ${kill.held} held claims published ${kill.restartToPublishedS.toFixed(2)} s after the restart${kill.takeoverToPublishedS === null ? '' : ` (${kill.takeoverToPublishedS.toFixed(2)} s after take-over)`}; the lease would have freed them after ${kill.leaseWouldFreeS.toFixed(1)} s`);
      second.child.kill('SIGTERM');
      await second.exited;
    }
  } finally {
    for (const p of sidecars) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await conn.close().catch(() => undefined);
    await pg.end();
    await target.stop();
  }
  return kills;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
