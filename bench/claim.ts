import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { OdooClient } from '../sidecar/src/odoo';
import { OdooOutboxSource } from '../sidecar/src/outbox';
import { OdooFixtures } from '../tools/fixtures';
import { locateOdoo, startOdoo } from '../test/support/odoo';
import { insertEvents, pgFor, productChanged } from '../test/support/outbox-sql';
import { numericFlags } from './args';

/**
 * `npm run bench -- claim [--events 50000] [--rounds 5] [--orders 40]` (issue 3's benchmark), on a
 * private Odoo 18 with the addon:
 * 1. relay_claim + relay_ack over JSON-RPC for batches of 500 and 2000 out of a backlog of `events`
 *    rows (median of `rounds`), and the relay's way: one relay_claim that acks 2000 and claims 2000;
 * 2. emit overhead: confirm a sale order and validate its picking through XML-RPC, in `orders` pairs
 *    of one flow with the addon's events enabled and one without, the order inside a pair alternating
 *    (ABBA: a drift of the machine's load cancels out); `emit_overhead_ms` is the median of the paired
 *    differences of the time Odoo itself spent on those requests (SQL + Python, from its log), with a
 *    trimmed mean and the half-width of the differences' interquartile range / sqrt(pairs) as its
 *    resolution; the wall-clock difference is printed too. Plus the cost of the outbox INSERT alone in
 *    PostgreSQL (`emit_insert_ms`), times the events one flow emits (`emit_expected_ms`).
 * The last line is JSON.
 */
const say = (line: string) => process.stdout.write(`${line}\n`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
/** Quantile by linear interpolation. */
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return (s[lo] as number) + ((s[Math.min(lo + 1, s.length - 1)] as number) - (s[lo] as number)) * (pos - lo);
};
/** Mean of the values between the 20th and 80th percentiles. */
const trimmedMean = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const cut = Math.floor(s.length * 0.2);
  const kept = s.slice(cut, s.length - cut);
  return kept.reduce((a, b) => a + b, 0) / kept.length;
};

export async function main(argv: string[]): Promise<void> {
  const opt = numericFlags(argv, { events: 50_000, rounds: 5, orders: 40 });
  let serverLog = '';
  const target = await startOdoo(await locateOdoo(), {
    db: `lb_bench_claim_${process.pid}`,
    log: (l) => {
      serverLog = /\(log (\S+)\)/.exec(l)?.[1] ?? serverLog;
      say(`   ${l}`);
    },
  });
  /** Server-side seconds (SQL + Python, werkzeug's counters) of the requests logged since `offset`. */
  const serverSeconds = (offset: number): number => {
    if (!serverLog) return NaN;
    let total = 0;
    for (const m of readFileSync(serverLog).subarray(offset).toString('utf8').matchAll(/"POST \/xmlrpc\/2\/object HTTP\/1\.1" \d+ - \d+ ([\d.]+) ([\d.]+)/g)) total += Number(m[1]) + Number(m[2]);
    return total * 1000;
  };
  const logSize = () => (serverLog ? statSync(serverLog).size : 0);
  const pg = await pgFor(target.db);
  const odoo = new OdooClient({ url: target.url, db: target.db, login: target.service.login, secret: target.service.secret });
  const source = new OdooOutboxSource(odoo);
  try {
    const rows = Array.from({ length: opt.events }, (_, i) => ({ eventType: 'product.changed', aggregateKey: `product.product:${200000 + i}`, payload: productChanged(200000 + i, 1) }));
    await insertEvents(pg, rows);
    say(`claim benchmark: backlog of ${opt.events} outbox rows`);
    const results: Record<number, number> = {};
    for (const limit of [500, 2000]) {
      const times: number[] = [];
      for (let r = 0; r < opt.rounds; r++) {
        const t0 = performance.now();
        const { events } = await source.claim('bench-claim', limit, 60);
        const claimed = performance.now();
        await source.ack('bench-claim', events.map((e) => e.id));
        const t1 = performance.now();
        if (events.length !== limit) throw new Error(`claimed ${events.length} of ${limit}`);
        times.push(t1 - t0);
        say(`   batch ${limit}: claim ${(claimed - t0).toFixed(1)} ms + ack ${(t1 - claimed).toFixed(1)} ms`);
      }
      results[limit] = median(times);
      say(`claim+ack of ${limit}: median ${(results[limit] ?? 0).toFixed(1)} ms over ${opt.rounds} rounds (${((limit / (results[limit] ?? 1)) * 1000).toFixed(0)} events/s)`);
    }

    // What the relay does: one call that acks batch N and claims batch N+1.
    const combined: number[] = [];
    let held = (await source.claim('bench-claim', 2000, 60)).events.map((e) => e.id);
    for (let r = 0; r < opt.rounds; r++) {
      const t0 = performance.now();
      const res = await source.claim('bench-claim', 2000, 60, held);
      combined.push(performance.now() - t0);
      if (res.acked.length !== held.length || res.events.length !== 2000) throw new Error(`acked ${res.acked.length} of ${held.length}, claimed ${res.events.length}`);
      held = res.events.map((e) => e.id);
    }
    await source.ack('bench-claim', held);
    const combinedMs = median(combined);
    say(`ack of 2000 + claim of 2000 in one relay_claim call: median ${combinedMs.toFixed(1)} ms over ${opt.rounds} rounds (${((2000 / combinedMs) * 1000).toFixed(0)} events/s)`);

    // The outbox INSERT alone, as _emit runs it inside a business transaction.
    const insertTimes: number[] = [];
    for (let i = 0; i < 500; i++) {
      await pg.query('BEGIN');
      const t0 = performance.now();
      await pg.query(
        `INSERT INTO logistics_bridge_event (uuid, event_type, schema_version, aggregate_model, aggregate_id, aggregate_key, payload, correlation_id, company_id, priority, state, attempts, user_id, create_uid, write_uid, create_date, write_date)
         VALUES ($1, 'product.changed', 1, 'product.product', 1, 'product.product:1', $2, NULL, 1, 50, 'pending', 0, 1, 1, 1, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC') RETURNING id`,
        [randomUUID(), productChanged(1, i)],
      );
      insertTimes.push(performance.now() - t0);
      await pg.query('ROLLBACK');
    }

    const fx = await OdooFixtures.connect({ url: target.url, db: target.db, login: target.admin.login, password: target.admin.secret });
    const product = await fx.product({ name: 'Bench chair', defaultCode: 'BC-1' });
    await fx.setStock(product, 100_000);
    const customer = await fx.partner('Bench customer');
    const timings: Record<'on' | 'off', number[]> = { on: [], off: [] };
    const server: Record<'on' | 'off', number[]> = { on: [], off: [] };
    const pairServer: number[] = [];
    const pairWall: number[] = [];
    const eventsBefore = Number((await pg.query<{ n: string }>('SELECT count(*) AS n FROM logistics_bridge_event')).rows[0]?.n);
    const flow = async (mode: 'on' | 'off'): Promise<{ wall: number; server: number }> => {
      // Writing a parameter clears Odoo's caches and the next requests pay for reloading them: every
      // flow follows a change (write the other value first), so both modes pay alike.
      await fx.call('ir.config_parameter', 'set_param', ['logistics_bridge.events_enabled', mode === 'on' ? 'False' : 'True']);
      await fx.call('ir.config_parameter', 'set_param', ['logistics_bridge.events_enabled', mode === 'on' ? 'True' : 'False']);
      const offset = logSize();
      const t0 = performance.now();
      const so = await fx.saleOrder(customer, [{ productId: product, quantity: 1 }]);
      for (const picking of so.pickingIds) await fx.validatePicking(picking);
      const wall = performance.now() - t0;
      await new Promise((r) => setTimeout(r, 50)); // the log line follows the response
      return { wall, server: serverSeconds(offset) };
    };
    await flow('off'); // the first pair warms the caches
    await flow('on');
    const eventsPerFlow = Number((await pg.query<{ n: string }>('SELECT count(*) AS n FROM logistics_bridge_event')).rows[0]?.n) - eventsBefore;
    for (let k = 0; k < opt.orders; k++) {
      const order: Array<'on' | 'off'> = k % 2 ? ['on', 'off'] : ['off', 'on'];
      const got: Partial<Record<'on' | 'off', { wall: number; server: number }>> = {};
      for (const mode of order) {
        const r = await flow(mode);
        got[mode] = r;
        timings[mode].push(r.wall);
        server[mode].push(r.server);
      }
      pairServer.push((got.on?.server ?? NaN) - (got.off?.server ?? NaN));
      say(`   pair ${k + 1} (${order.join(', ')}): inside Odoo ${got.on?.server.toFixed(1)} ms with events, ${got.off?.server.toFixed(1)} ms without`);
      pairWall.push((got.on?.wall ?? NaN) - (got.off?.wall ?? NaN));
    }
    await fx.call('ir.config_parameter', 'set_param', ['logistics_bridge.events_enabled', 'True']);
    const on = median(timings.on);
    const off = median(timings.off);
    say(`confirm a sale order + validate its picking over XML-RPC: ${on.toFixed(1)} ms with events, ${off.toFixed(1)} ms without (median of ${opt.orders} each)`);
    const serverOn = median(server.on);
    const serverOff = median(server.off);
    say(`the same measured inside Odoo (SQL + Python of those requests): ${serverOn.toFixed(1)} ms with events, ${serverOff.toFixed(1)} ms without`);
    const overhead = median(pairServer);
    const resolution = (quantile(pairServer, 0.75) - quantile(pairServer, 0.25)) / 2 / Math.sqrt(pairServer.length);
    say(
      `emit overhead per flow (${eventsPerFlow} events), paired differences inside Odoo over ${opt.orders} ABBA pairs: median ${overhead.toFixed(1)} ms, trimmed mean ${trimmedMean(pairServer).toFixed(1)} ms, ±${resolution.toFixed(1)} ms (IQR/2/sqrt(n)); wall clock: median ${median(pairWall).toFixed(1)} ms`,
    );
    say(`outbox INSERT inside a transaction: median ${median(insertTimes).toFixed(3)} ms per event, ${(eventsPerFlow * median(insertTimes)).toFixed(2)} ms for the ${eventsPerFlow} events of one flow`);
    say(
      JSON.stringify({
        claim_ack_500_ms: Number((results[500] ?? NaN).toFixed(1)),
        claim_ack_2000_ms: Number((results[2000] ?? NaN).toFixed(1)),
        claim_with_ack_2000_ms: Number(combinedMs.toFixed(1)),
        emit_overhead_ms: Number(overhead.toFixed(1)),
        emit_overhead_wall_ms: Number(median(pairWall).toFixed(1)),
        emit_overhead_trimmed_mean_ms: Number(trimmedMean(pairServer).toFixed(1)),
        emit_overhead_resolution_ms: Number(resolution.toFixed(1)),
        emit_events_per_flow: eventsPerFlow,
        emit_expected_ms: Number((eventsPerFlow * median(insertTimes)).toFixed(2)),
        emit_pairs: opt.orders,
        flow_with_events_ms: Number(on.toFixed(1)),
        flow_without_events_ms: Number(off.toFixed(1)),
        emit_insert_ms: Number(median(insertTimes).toFixed(3)),
        backlog: opt.events,
      }),
    );
  } finally {
    odoo.close();
    await pg.end();
    await target.stop();
  }
}
