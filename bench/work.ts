/**
 * `npm run bench -- work [--rate 50] [--seconds 10] [--backlog 5000]`: Flow 3 delivery to devices.
 * A sidecar's Flow 3 half (gateway + work router + voids feed + dispatcher, as main.ts wires them, run
 * as its own process: test/support/work-child.ts) on the broker at AMQP_URL, and one adapter stream per
 * family of warehouse WH answering work_ack at once. The released-picking events are published straight
 * to the events exchange as the relay publishes them (no Odoo): latency is broker publish -> work at the
 * adapter, at `rate` releases per second (each an outbound picking: three work items, one per family);
 * then `backlog` releases published while the adapters are away, and the time from their reconnect until
 * every work item is at an adapter. Last line: one JSON object.
 */
import { spawn } from 'node:child_process';
import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AMQP_URL } from '../test/support/env';
import { deleteWorkTopology, poolReady, queueDepth, readyEvent, routerReady, WorkAdapter, workTopology } from '../test/support/work';
import { numericFlags } from './args';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export async function main(argv: string[]): Promise<void> {
  const o = numericFlags(argv, { rate: 50, seconds: 10, backlog: 5000 });
  const topology = workTopology();
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', resolve(__dirname, '../test/support/work-child.ts')], {
    cwd: resolve(__dirname, '..'),
    env: { PATH: process.env.PATH ?? '', AMQP_URL, WORK_EVENTS: topology.events, WORK_UNROUTABLE: topology.unroutableExchange },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((res, rej) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) res(Number(m[1]));
    });
    child.once('exit', (code) => rej(new Error(`sidecar exited ${code}`)));
  });
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(child.pid as number))), 200);
  try {
    await routerReady(topology);
    const adapters = [new WorkAdapter('robot_fleet', 'fleet-1'), new WorkAdapter('barcode', 'scan-1'), new WorkAdapter('sorter', 'sorter-1')];
    for (const a of adapters) a.connect(port);
    for (const a of adapters) await poolReady(topology, a.family, 'WH');
    console.log(`sidecar (Flow 3 half) pid ${child.pid} on ${AMQP_URL.replace(/\/\/[^@]*@/, '//***@')}; events published straight to the broker (no Odoo, no relay)`);

    // 1. latency at `rate` releases/s
    const sentAt = new Map<string, number>();
    const arrivals = new Map<string, number[]>();
    const seen = adapters.map(() => 0);
    const collector = setInterval(() => {
      adapters.forEach((a, i) => {
        const now = performance.now();
        for (; (seen[i] as number) < a.received.length; seen[i] = (seen[i] as number) + 1) {
          const r = a.received[seen[i] as number];
          if (r) arrivals.set(r.workId, [...(arrivals.get(r.workId) ?? []), now]);
        }
      });
    }, 1);
    const conn = await amqp.connect(AMQP_URL);
    const pub = await conn.createConfirmChannel();
    const publish = (id: string, body: unknown) =>
      new Promise<void>((res, rej) => pub.publish(topology.events, 'stock.picking.ready', Buffer.from(JSON.stringify(body)), { messageId: id, correlationId: `corr-${id}`, type: 'stock.picking.ready', persistent: true }, (err: unknown) => (err ? rej(err) : res())));
    const total = Math.round(o.rate * o.seconds);
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / o.rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const id = randomUUID();
      sentAt.set(id, performance.now());
      void publish(id, readyEvent(10_000 + i));
    }
    const deadline = Date.now() + 30_000;
    while ([...sentAt.keys()].some((id) => (arrivals.get(id)?.length ?? 0) < 3) && Date.now() < deadline) await sleep(50);
    clearInterval(collector);
    const latencies = [...sentAt.entries()].flatMap(([id, t]) => (arrivals.get(id) ?? []).map((a) => a - t)).sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const delivered = latencies.length;
    console.log(`latency at ${o.rate} releases/s for ${o.seconds} s: ${total} releases, ${delivered} of ${total * 3} work items at an adapter, p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (broker publish -> work at the adapter)`);

    // 2. backlog: released while the adapters are away, delivered when they come back
    for (const a of adapters) a.close();
    await sleep(1000);
    const backlogIds = Array.from({ length: o.backlog }, () => randomUUID());
    const tr = performance.now();
    await Promise.all(backlogIds.map((id, k) => publish(id, readyEvent(100_000 + k))));
    await conn.close();
    while ((await queueDepth(`${topology.events}.device-work`)) > 0) await sleep(100);
    const routedS = (performance.now() - tr) / 1000;
    const before = adapters.map((a) => a.acked.length);
    const tb = performance.now();
    for (const a of adapters) a.connect(port);
    const want = new Set<string>(backlogIds);
    const done = () => adapters.every((a, i) => a.acked.slice(before[i]).filter((r) => want.has(r.workId)).length >= o.backlog);
    const bd = Date.now() + 300_000;
    while (!done() && Date.now() < bd) await sleep(20);
    const backlogS = (performance.now() - tb) / 1000;
    const got = adapters.map((a, i) => a.acked.slice(before[i]).filter((r) => want.has(r.workId)).length);
    console.log(`backlog: ${o.backlog} releases routed into the pools in ${routedS.toFixed(1)} s with no adapter; ${got.join(' / ')} work items (robot / scanner / sorter) at the adapters and acknowledged ${backlogS.toFixed(1)} s after they connected`);
    console.log(`sidecar peak RSS ${peakRss.toFixed(0)} MB`);
    for (const a of adapters) a.close();
    console.log(JSON.stringify({ bench: 'work', p50_ms: Number(p50.toFixed(1)), p99_ms: Number(p99.toFixed(1)), rate_per_s: o.rate, releases: total, delivered, backlog: o.backlog, backlog_s: Number(backlogS.toFixed(2)), backlog_routed_s: Number(routedS.toFixed(2)), backlog_delivered: got, peak_rss_mb: Number(peakRss.toFixed(0)), events: 'published straight to the broker', amqp: AMQP_URL.replace(/\/\/[^@]*@/, '//***@') }));
  } finally {
    clearInterval(sampler);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await deleteWorkTopology(topology, ['WH']);
  }
}
