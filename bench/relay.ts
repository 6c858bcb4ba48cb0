import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import amqp from 'amqplib';
import { declareTopology, type TopologyNames } from '../sidecar/src/broker';
import { AMQP_URL } from '../test/support/env';
import type { ChildMemory } from '../test/support/relay-child';
import { locateOdoo, startOdoo, type OdooSeries, type OdooTarget } from '../test/support/odoo';
import { insertEvents, pgFor, productChanged } from '../test/support/outbox-sql';
import { buildDist, entry, serverArgs } from './deployed';
import { numericFlags } from './args';
import { seriesFlag, sideBySide } from './series';

/**
 * `npm run bench -- relay [--series 18,19] [--events 50000] [--rate 200] [--seconds 30] [--window 4000] [--batch 2000] [--claimers 1] [--tsx 1]`
 *
 * 1. ceiling: bare amqplib, one confirm channel, a sliding window of `window` unconfirmed persistent
 *    messages of the backlog's payload size, into a durable quorum queue; no Odoo.
 * 2. drain: `events` outbox rows inserted with SQL into a real Odoo with the addon (5 events per
 *    aggregate, interleaved, as a busy warehouse leaves them), then the relay drains them to the same
 *    kind of queue; events/s from relay start to the last ack.
 * 3. latency: a load generator commits `rate` events/s into the outbox, one transaction each (INSERT +
 *    NOTIFY, as the addon's emit does), for `seconds`; commit → broker-confirm per event, p50/p99.
 * Both phases run one relay as in production (createRelay, test/support/relay-child.ts) in a child
 * process, by default the way sidecar/Dockerfile deploys it: plain node on the tsc output (built into
 * dist/ first) with the image's NODE_OPTIONS (a 128 MB old space); `--tsx 1` runs it under the tsx
 * loader without them. Its peak RSS over both phases is `peak_rss_mb`, with the V8 heap at that peak;
 * it reports when the broker confirmed each message over IPC, for the latency phase. Its RSS is printed
 * every minute of the latency phase (a soak: `--seconds 600`). BENCH_SERVER_NODE_ARGS adds node options
 * to the relay process (e.g. `--cpu-prof --cpu-prof-dir=DIR`). Phases 2 and 3 run against each Odoo series
 * present (`--series`, default 18 and 19), one after the other, and are printed side by side with their
 * ratio to the same ceiling. The last line is JSON: the first series' figures and `by_series`.
 */
interface Args {
  events: number;
  rate: number;
  seconds: number;
  window: number;
  batch: number;
  claimers: number;
  tsx: number;
}

function parse(argv: string[]): Args {
  const out = numericFlags(argv, { events: 50_000, rate: 200, seconds: 30, window: 4000, batch: 2000, claimers: 1, tsx: 0 });
  for (const [key, value] of Object.entries(out)) if (value === 0 && key !== 'tsx') throw new Error(`--${key} must be above 0`);
  return out;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

let peakRss = 0;
function sampleRss(): number {
  const rss = process.memoryUsage().rss;
  peakRss = Math.max(peakRss, rss);
  return rss;
}

function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

async function ceiling(names: TopologyNames, queue: string, count: number, window: number, body: Buffer): Promise<number> {
  const conn = await amqp.connect(AMQP_URL);
  const ch = await conn.createConfirmChannel();
  await declareTopology(ch, names);
  let inFlight = 0;
  let confirmed = 0;
  let wake: (() => void) | undefined;
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    let sent = 0;
    const pump = () => {
      while (sent < count && inFlight < window) {
        inFlight++;
        const ok = ch.publish(names.events, 'product.changed', body, { persistent: true, messageId: randomUUID(), contentType: 'application/json' }, (err: unknown) => {
          if (err) return reject(err instanceof Error ? err : new Error(String(err)));
          inFlight--;
          if (++confirmed === count) return resolve();
          if (wake) {
            const w = wake;
            wake = undefined;
            w();
          }
        });
        sent++;
        if (!ok) {
          ch.once('drain', pump);
          return;
        }
      }
      if (sent < count) wake = pump;
    };
    pump();
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const purge = await conn.createChannel();
  await purge.purgeQueue(queue);
  await purge.close();
  await conn.close();
  return count / seconds;
}

/** Werkzeug's request lines end with `<query count> <SQL seconds> <other seconds>`. */
function odooTime(log: string): { calls: number; sql: number; python: number } {
  let calls = 0;
  let sql = 0;
  let python = 0;
  for (const m of log.matchAll(/"POST \/(?:jsonrpc|json\/2\/\S+) HTTP\/1\.1" \d+ - \d+ ([\d.]+) ([\d.]+)/g)) {
    calls++;
    sql += Number(m[1]);
    python += Number(m[2]);
  }
  return { calls, sql, python };
}

export async function main(argv: string[]): Promise<void> {
  const { series, rest } = await seriesFlag(argv, say);
  const args = parse(rest);
  const tsx = args.tsx > 0;
  if (!tsx) buildDist();
  const rssTimer = setInterval(sampleRss, 100);
  const tag = `lb.bench.relay.${process.pid}`;
  const names: TopologyNames = { events: `${tag}.events`, unroutableExchange: `${tag}.unroutable`, unroutableQueue: `${tag}.unroutable` };
  const queue = `${tag}.consumer`;
  const admin = await amqp.connect(AMQP_URL);
  const ach = await admin.createChannel();
  await declareTopology(ach, names);
  await ach.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ach.bindQueue(queue, names.events, '#');

  const sample = productChanged(123456, 1);
  const body = Buffer.from(sample);
  say(`relay benchmark: ${args.events} events of ${body.length} bytes, window ${args.window}, batch ${args.batch}, ${args.claimers} claimers; RabbitMQ ${AMQP_URL.replace(/\/\/[^@]*@/, '//')}`);
  say(`the relay runs under ${tsx ? 'the tsx loader' : 'plain node on the tsc output, as deployed'} with node options [${serverArgs(tsx).join(' ')}]; load average before: ${load()}`);

  // 1. ceiling
  await ceiling(names, queue, Math.min(5000, args.events), args.window, body); // warm-up
  const ceilingRate = await ceiling(names, queue, args.events, args.window, body);
  say(`1. bare amqplib, windowed confirms:   ${ceilingRate.toFixed(0)} msg/s`);

  // 2 and 3, against each Odoo series present (18 and 19 side by side when both are)
  const results: SeriesResult[] = [];
  try {
    for (const s of series) results.push(await againstOdoo(s, { args, tsx, tag, queue, ach, ceilingRate }));
    const by = (f: (r: SeriesResult) => string) => Object.fromEntries(results.map((r) => [r.series, f(r)]));
    say(`\nrelay against each series, same run, same broker, one ceiling (${ceilingRate.toFixed(0)} msg/s); load average now ${load()}:`);
    say(
      sideBySide(
        [
          ['drain events/s', by((r) => String(r.relay_events_per_s))],
          ['ratio to the ceiling', by((r) => r.ratio.toFixed(2))],
          ['commit->confirm p50 ms', by((r) => r.latency_p50_ms.toFixed(1))],
          ['commit->confirm p99 ms', by((r) => r.latency_p99_ms.toFixed(1))],
          ['relay peak RSS MB', by((r) => String(r.peak_rss_mb))],
          ['relay CPU us/event', by((r) => String(r.drain_relay_cpu_us_per_event))],
        ],
        series,
      ),
    );
    const first = results[0] as SeriesResult;
    clearInterval(rssTimer);
    say(JSON.stringify({ ...first, bench_process_peak_rss_mb: Math.round(Math.max(peakRss, sampleRss()) / 2 ** 20), load_avg_1m: Number(loadavg()[0]?.toFixed(2)), by_series: Object.fromEntries(results.map((r) => [r.series, r])) }));
  } finally {
    clearInterval(rssTimer);
    await ach.deleteQueue(queue).catch(() => undefined);
    await ach.deleteQueue(names.unroutableQueue).catch(() => undefined);
    await ach.deleteExchange(names.events).catch(() => undefined);
    await ach.deleteExchange(names.unroutableExchange).catch(() => undefined);
    await admin.close();
  }
}

type SeriesResult = Awaited<ReturnType<typeof againstOdoo>>;

/** Phases 2 and 3 against a private Odoo of one series, on the same broker topology as the ceiling. */
async function againstOdoo(series: OdooSeries, ctx: { args: Args; tsx: boolean; tag: string; queue: string; ach: amqp.Channel; ceilingRate: number }) {
  const { args, tsx, tag, queue, ach, ceilingRate } = ctx;
  const source = await locateOdoo(process.env, series);
  say(`\n[Odoo ${series}] starting Odoo ${series} with the addon (${source.kind === 'source' ? source.src : source.kind})...`);
  const t0 = Date.now();
  let serverLog = '';
  const target: OdooTarget = await startOdoo(source, {
    db: `lb_bench_relay_${series}_${process.pid}`,
    log: (l) => {
      serverLog = /\(log (\S+)\)/.exec(l)?.[1] ?? serverLog;
      say(`   ${l}`);
    },
  });
  say(`   ready in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const pg = await pgFor(target.db);
  let child: ChildProcess | undefined;
  try {
    await pg.query("DELETE FROM logistics_bridge_event WHERE state IN ('pending', 'claimed')"); // fixtures' leftovers
    const perAggregate = 5;
    const aggregates = Math.ceil(args.events / perAggregate);
    const rows = [];
    for (let seq = 1; rows.length < args.events; seq++) for (let a = 0; a < aggregates && rows.length < args.events; a++) rows.push({ eventType: 'product.changed', aggregateKey: `product.product:${100000 + a}`, payload: productChanged(100000 + a, seq), priority: 90 });
    const ti = Date.now();
    const ids = await insertEvents(pg, rows);
    say(`   inserted ${ids.length} outbox rows (${aggregates} aggregates x ${perAggregate}) in ${((Date.now() - ti) / 1000).toFixed(1)} s`);

    // The production wiring (createRelay) in a process of its own, so that its memory and CPU are the
    // relay's, not this benchmark's.
    const e = entry('test/support/relay-child', tsx);
    const relayChild = fork(e.file, [], {
      execArgv: [...e.execArgv, ...serverArgs(tsx)],
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        ODOO_URL: target.url,
        ODOO_DB: target.db,
        ODOO_LOGIN: target.service.login,
        ODOO_API_KEY: target.service.secret,
        AMQP_URL,
        RELAY_WORKER_ID: `bench-child-${process.pid}`,
        RELAY_BATCH_SIZE: String(args.batch),
        RELAY_MAX_IN_FLIGHT: String(args.window),
        RELAY_LEASE_SECONDS: '120',
        LOG_LEVEL: 'error',
        LB_TOPOLOGY_PREFIX: tag,
        LB_RELAY_CLAIMERS: String(args.claimers),
      },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    child = relayChild;
    let exit: string | undefined;
    const childExited = new Promise<void>((res) =>
      relayChild.once('exit', (code, signal) => {
        exit = `relay child exited with ${signal ?? code}`;
        res();
      }),
    );
    const alive = () => {
      if (exit) throw new Error(`${exit} (out of heap? see its stderr above)`);
    };
    await new Promise<void>((res, rej) => {
      relayChild.stdout?.on('data', (d: Buffer) => d.toString().includes('relay-child ready') && res());
      relayChild.once('exit', (code) => rej(new Error(`relay child exited ${code}`)));
    });
    const confirmedAt = new Map<string, number>();
    relayChild.on('message', (m: { confirmed?: Array<[string, number]> }) => {
      if (m.confirmed) for (const [id, at] of m.confirmed) confirmedAt.set(id, at);
    });
    const memory = (reset: boolean): Promise<ChildMemory> =>
      new Promise((res, rej) => {
        const onMsg = (m: { memory?: ChildMemory }) => {
          if (!m.memory) return;
          relayChild.off('message', onMsg);
          res(m.memory);
        };
        relayChild.on('message', onMsg);
        relayChild.send({ cmd: 'memory', reset }, (err) => err && rej(err));
      });
    const relayPid = relayChild.pid as number;
    const vm = (field: 'VmHWM' | 'VmRSS'): number => {
      try {
        const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${relayPid}/status`, 'utf8'));
        return m ? Number(m[1]) * 1024 : 0;
      } catch {
        return 0;
      }
    };
    const cpuSeconds = (): number => {
      const [utime, stime] = readFileSync(`/proc/${relayPid}/stat`, 'utf8').split(') ')[1]?.split(' ').slice(11, 13).map(Number) ?? [0, 0];
      return ((utime ?? 0) + (stime ?? 0)) / 100;
    };
    const idle = await memory(true);
    say(`   relay process before the drain: RSS ${idle.rssMb.toFixed(0)} MB, V8 heap limit ${idle.heapLimitMb.toFixed(0)} MB`);
    const logOffset = serverLog ? statSync(serverLog).size : 0;
    const cpuBefore = cpuSeconds();
    const started = Date.now();
    const loadBefore = load();
    let published = 0;
    while (published < ids.length) {
      await new Promise((r) => setTimeout(r, 100));
      alive();
      published = Number((await pg.query<{ n: string }>("SELECT count(*) AS n FROM logistics_bridge_event WHERE state = 'published' AND id >= $1", [ids[0]])).rows[0]?.n);
    }
    const drainSeconds = (Date.now() - started) / 1000;
    const relayRate = ids.length / drainSeconds;
    const relayCpu = cpuSeconds() - cpuBefore;
    const drainMem = await memory(true);
    const odooSpent = serverLog ? odooTime(readFileSync(serverLog).subarray(logOffset).toString('utf8')) : undefined;
    say(`2. [Odoo ${series}] relay, drain of ${ids.length} events from Odoo: ${relayRate.toFixed(0)} events/s (${drainSeconds.toFixed(1)} s), ${((relayRate / ceilingRate) * 100).toFixed(0)}% of the ceiling; load average ${loadBefore} before, ${load()} after`);
    say(`   relay process peak RSS ${drainMem.peakRssMb.toFixed(0)} MB (V8 heap ${drainMem.atPeak.heapTotalMb.toFixed(0)} MB, ${drainMem.atPeak.heapUsedMb.toFixed(0)} MB used; array buffers ${drainMem.atPeak.arrayBuffersMb.toFixed(0)} MB; most heap used ${drainMem.peakHeapUsedMb.toFixed(0)} MB of a ${drainMem.heapLimitMb.toFixed(0)} MB limit); relay process CPU ${relayCpu.toFixed(1)} s over ${drainSeconds.toFixed(1)} s (${((relayCpu / ids.length) * 1e6).toFixed(0)} µs/event)`);
    if (odooSpent) say(`   Odoo answered ${odooSpent.calls} ${series >= 19 ? 'JSON-2' : 'JSON-RPC'} calls meanwhile: ${odooSpent.sql.toFixed(1)} s in SQL, ${odooSpent.python.toFixed(1)} s in Python (sums over its threads)`);
    await ach.purgeQueue(queue);

    // 3. commit -> confirm at a steady rate, same relay process
    relayChild.send({ cmd: 'record' });
    const committedAt = new Map<string, number>();
    const total = Math.round(args.rate * args.seconds);
    const gen = await pgFor(target.db);
    const interval = 1000 / args.rate;
    const genStart = performance.now();
    const rssSeries: number[] = [];
    const perMinute = args.rate * 60;
    for (let i = 0; i < total; i++) {
      const due = genStart + i * interval;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const uuid = randomUUID();
      await gen.query('BEGIN');
      await gen.query(
        `INSERT INTO logistics_bridge_event (uuid, event_type, schema_version, aggregate_model, aggregate_id, aggregate_key, payload, correlation_id, company_id, priority, state, attempts, user_id, create_uid, write_uid, create_date, write_date)
         VALUES ($1, 'product.changed', 1, 'product.product', $2, $3, $4, NULL, 1, 50, 'pending', 0, 1, 1, 1, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')`,
        [uuid, 500000 + (i % 1000), `product.product:${500000 + (i % 1000)}`, productChanged(500000 + (i % 1000), i)],
      );
      await gen.query('NOTIFY logistics_bridge_outbox');
      await gen.query('COMMIT');
      committedAt.set(uuid, performance.timeOrigin + performance.now());
      if (i % args.rate === 0) {
        alive();
        rssSeries.push(vm('VmRSS'));
        sampleRss();
      }
      if (i % perMinute === 0) {
        const m = await memory(false);
        const line = `minute ${i / perMinute}: RSS ${m.rssMb.toFixed(0)} MB, peak so far ${m.peakRssMb.toFixed(0)} MB, most heap used ${m.peakHeapUsedMb.toFixed(0)} MB, load ${load()}`;
        if (args.seconds > 60) say(`   ${line}`);
      }
    }
    const achieved = total / ((performance.now() - genStart) / 1000);
    const deadline = Date.now() + 60_000;
    while ([...committedAt.keys()].some((k) => !confirmedAt.has(k)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const latencies = [...committedAt].map(([uuid, at]) => (confirmedAt.get(uuid) ?? NaN) - at).filter(Number.isFinite).sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const latencyMem = await memory(false);
    say(`3. [Odoo ${series}] commit -> broker confirm at ${achieved.toFixed(0)} events/s for ${args.seconds} s: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${(latencies.at(-1) ?? NaN).toFixed(1)} ms (${latencies.length}/${total} confirmed); load average after ${load()}`);
    say(`   relay process RSS (MB, one sample per second): first ${((rssSeries[0] ?? 0) / 2 ** 20).toFixed(0)}, last ${((rssSeries.at(-1) ?? 0) / 2 ** 20).toFixed(0)}, max ${(Math.max(...rssSeries) / 2 ** 20).toFixed(0)}; most heap used ${latencyMem.peakHeapUsedMb.toFixed(0)} MB`);

    const relayPeakRss = vm('VmHWM');
    relayChild.kill('SIGTERM');
    await childExited;
    await gen.end();
    return {
      series,
      ceiling_msgs_per_s: Math.round(ceilingRate),
      relay_events_per_s: Math.round(relayRate),
      ratio: Number((relayRate / ceilingRate).toFixed(3)),
      latency_p50_ms: Number(p50.toFixed(1)),
      latency_p99_ms: Number(p99.toFixed(1)),
      peak_rss_mb: Math.round(relayPeakRss / 2 ** 20),
      bench_process_peak_rss_mb: Math.round(Math.max(peakRss, sampleRss()) / 2 ** 20),
      events: ids.length,
      rate_per_s: Math.round(achieved),
      window: args.window,
      batch: args.batch,
      claimers: args.claimers,
      drain_relay_cpu_s: Number(relayCpu.toFixed(1)),
      drain_odoo_sql_s: odooSpent ? Number(odooSpent.sql.toFixed(1)) : null,
      drain_odoo_python_s: odooSpent ? Number(odooSpent.python.toFixed(1)) : null,
      runtime: tsx ? 'tsx' : 'node',
      node_options: serverArgs(tsx).join(' '),
      drain_peak_rss_mb: Math.round(drainMem.peakRssMb),
      drain_peak_heap_used_mb: Math.round(drainMem.peakHeapUsedMb),
      latency_peak_rss_mb: Math.round(latencyMem.peakRssMb),
      latency_peak_heap_used_mb: Math.round(latencyMem.peakHeapUsedMb),
      heap_limit_mb: Math.round(drainMem.heapLimitMb),
      drain_relay_cpu_us_per_event: Math.round((relayCpu / ids.length) * 1e6),
      load_avg_1m: Number(loadavg()[0]?.toFixed(2)),
    };
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await pg.end();
    await target.stop();
  }
}

function load(): string {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
}
