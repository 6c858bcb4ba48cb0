import { loadavg } from 'node:os';
import amqp from 'amqplib';
import type { ErpUpdate } from '@logistics-bridge/contract';
import { UPDATE_MODEL } from '../sidecar/src/inbound';
import { OdooClient } from '../sidecar/src/odoo';
import { OdooFixtures } from '../tools/fixtures';
import { publishUpdates, startApplier, until } from '../test/support/applier';
import { locateOdoo, startOdoo, type OdooSeries } from '../test/support/odoo';
import { gs1CheckDigit } from '@logistics-bridge/contract';
import { numericFlags } from './args';
import { seriesFlag, sideBySide } from './series';

/**
 * `npm run bench -- apply [--series 18,19] [--updates 6000] [--baseline 400] [--pickings 120] [--batch 200] [--linger 20] [--concurrency 2 | 1,2,4]`
 * (DESIGN.md budget: apply into Odoo ≥ 1,000 updates/s, ≥ 10× one JSON-RPC call per update), on a
 * a private Odoo with the addon, for each series present (`--series`, default 18 and 19, one after the
 * other in the same run, printed side by side):
 * 1. baseline: `baseline` updates applied with one `apply_batch([update])` JSON-RPC call each, one after
 *    the other, as a naive consumer would;
 * 2. the applier: `updates` realistic updates pre-filled on a private `logistics.updates` queue
 *    (device.status heartbeats of 50 devices, pick.confirmed and parcel.sorted on `pickings` real
 *    pickings from confirmed sale orders, a few task.failed), timed from the applier's start until every
 *    one is acked.
 * Same mix in both phases, distinct idempotency keys. With several `--concurrency` values the applier
 * phase runs once per value (fresh keys each time); the JSON's `apply_updates_per_s` is the first one's.
 * The last line is JSON: the first series' figures and `by_series`.
 */
const say = (line: string) => process.stdout.write(`${line}\n`);

/** An SSCC with its GS1 check digit (extension 3, company prefix 7610425, serial). */
function ssccFor(serial: number): string {
  const body = `37610425${String(serial).padStart(9, '0')}`;
  return `${body}${gs1CheckDigit(body)}`;
}

type Options = { updates: number; baseline: number; pickings: number; batch: number; linger: number };
type SeriesResult = Awaited<ReturnType<typeof againstOdoo>>;

export async function main(argv: string[]): Promise<void> {
  // --series and --concurrency take lists (18,19 and 2,1,4); the other flags are numbers.
  const { series, rest } = await seriesFlag(argv, say);
  const at = rest.indexOf('--concurrency');
  const concurrencies = at >= 0 ? String(rest[at + 1]).split(',').map(Number) : [2];
  const opt = numericFlags(at >= 0 ? [...rest.slice(0, at), ...rest.slice(at + 2)] : rest, { updates: 6000, baseline: 400, pickings: 120, batch: 200, linger: 20 });
  const results: SeriesResult[] = [];
  for (const s of series) results.push(await againstOdoo(s, opt, concurrencies));
  const by = (f: (r: SeriesResult) => string) => Object.fromEntries(results.map((r) => [r.series, f(r)]));
  say(`\napply against each series, same run (load average ${loadavg().map((n) => n.toFixed(2)).join(' ')}):`);
  say(
    sideBySide(
      [
        ['one call per update /s', by((r) => String(r.one_call_per_update_per_s))],
        ['applier updates/s', by((r) => String(r.apply_updates_per_s))],
        ['ratio to one call per update', by((r) => `${r.ratio}x`)],
        ['mean apply_batch ms', by((r) => String(r.mean_apply_batch_ms))],
      ],
      series,
    ),
  );
  say(`budget: ≥ 1,000 updates/s and ≥ 10× one call per update`);
  say(JSON.stringify({ ...(results[0] as SeriesResult), by_series: Object.fromEntries(results.map((r) => [r.series, r])) }));
}

/** Both phases against a private Odoo of one series. */
async function againstOdoo(series: OdooSeries, opt: Options, concurrencies: number[]) {
  say(`\n[Odoo ${series}]`);
  const target = await startOdoo(await locateOdoo(process.env, series), { db: `lb_bench_apply_${series}_${process.pid}`, log: (l) => say(`   ${l}`) });
  const fx = await OdooFixtures.connect({ url: target.url, db: target.db, login: target.admin.login, password: target.admin.secret });
  const conn = await amqp.connect(process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
  const ch = await conn.createChannel();
  const prefix = `bench.apply.${process.pid}.`;
  const odoo = new OdooClient({ url: target.url, db: target.db, login: target.service.login, secret: target.service.secret, timeoutMs: 120_000 });
  try {
    say(`apply benchmark: ${opt.pickings} pickings from confirmed sale orders`);
    const product = await fx.product({ name: 'Bench widget', barcode: '4006381399999', defaultCode: 'BENCH-1' });
    await fx.setStock(product, opt.pickings * 10);
    const customer = await fx.partner('Bench customer');
    const pickings: string[] = [];
    for (let i = 0; i < opt.pickings; i++) {
      const so = await fx.saleOrder(customer, [{ productId: product, quantity: 2 }]);
      const [p] = await fx.searchRead<{ name: string }>('stock.picking', [['id', '=', so.pickingIds[0] ?? 0]], ['name']);
      if (p) pickings.push(p.name);
    }
    let serial = 0;
    const make = (phase: string, i: number): ErpUpdate => {
      const base = { idempotency_key: `bench:${phase}:${i}`, adapter_id: 'bench', correlation_id: null, event_time: new Date(Date.UTC(2026, 0, 1) + i * 10).toISOString() };
      const picking = { name: pickings[i % pickings.length] as string };
      const r = i % 10;
      if (r < 5) return { ...base, type: 'device.status', device_id: `dev-${i % 50}`, payload: { status: 'online', family: 'sorter' } };
      if (r < 7) return { ...base, type: 'pick.confirmed', device_id: `scanner-${i % 8}`, payload: { picking, lines: [{ product: { barcode: '4006381399999' }, quantity: 2 }] } };
      if (r < 9) return { ...base, type: 'parcel.sorted', device_id: `sorter-${i % 4}`, payload: { sscc: ssccFor(++serial), picking, chute: `C${i % 12}`, lane: 'L1' } };
      return { ...base, type: 'task.failed', device_id: `robot-${i % 6}`, payload: { picking, reason: 'robot blocked by a pallet', code: 'E42' } };
    };

    // 1. One JSON-RPC call per update.
    const t0 = performance.now();
    for (let i = 0; i < opt.baseline; i++) {
      const res = (await odoo.executeKw(UPDATE_MODEL, 'apply_batch', [[make('baseline', i)]], {}, { idempotent: true })) as Array<{ status: string }>;
      if (res[0]?.status !== 'applied') throw new Error(`baseline update ${i}: ${JSON.stringify(res)}`);
    }
    const baselineS = (performance.now() - t0) / 1000;
    const oneCall = opt.baseline / baselineS;
    say(`[Odoo ${series}] one ${series >= 19 ? 'JSON-2' : 'JSON-RPC'} call per update: ${opt.baseline} updates in ${baselineS.toFixed(2)} s = ${oneCall.toFixed(0)} updates/s`);

    // 2. The applier, from a pre-filled queue.
    const runs: Array<{ concurrency: number; rate: number; batches: number; meanMs: number; counts: Record<string, number> }> = [];
    for (const [round, concurrency] of concurrencies.entries()) {
      const queue = `${prefix}logistics.updates`;
      await ch.deleteQueue(queue).catch(() => undefined);
      await publishUpdates(ch, queue, Array.from({ length: opt.updates }, (_, i) => make(`applier${round}`, i)));
      say(`queue ${queue} pre-filled with ${(await ch.checkQueue(queue)).messageCount} updates`);
      const t1 = performance.now();
      const running = await startApplier(target, prefix, { batchSize: opt.batch, lingerMs: opt.linger, prefetch: Math.max(1000, opt.batch * 3 * concurrency), concurrency });
      const settled = async () => (await running.metrics.updates.get()).values.filter((v) => v.labels.outcome !== 'retried').reduce((n, v) => n + v.value, 0);
      await until('every update settled', async () => (await settled()) >= opt.updates, 600_000, 20);
      const applierS = (performance.now() - t1) / 1000;
      const counts = Object.fromEntries((await running.metrics.updates.get()).values.map((v) => [String(v.labels.outcome), v.value]));
      const batches = (await running.metrics.batchSize.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
      const sum = (await running.metrics.applyLatency.get()).values.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
      await running.stop();
      await ch.deleteQueue(queue).catch(() => undefined);
      await ch.deleteQueue(`${prefix}logistics.updates.dead`).catch(() => undefined);
      const rate = opt.updates / applierS;
      const meanMs = (sum / Math.max(1, batches)) * 1000;
      runs.push({ concurrency, rate, batches, meanMs, counts });
      say(`[Odoo ${series}] applier (concurrency ${concurrency}): ${opt.updates} updates in ${applierS.toFixed(2)} s = ${rate.toFixed(0)} updates/s (${batches} apply_batch calls, mean ${meanMs.toFixed(0)} ms each); outcomes ${JSON.stringify(counts)}; ${(rate / oneCall).toFixed(1)}× one call per update`);
    }
    const first = runs[0] as (typeof runs)[number];
    return {
      series,
      apply_updates_per_s: Math.round(first.rate),
      one_call_per_update_per_s: Math.round(oneCall),
      ratio: Number((first.rate / oneCall).toFixed(1)),
      updates: opt.updates,
      batch_size: opt.batch,
      linger_ms: opt.linger,
      concurrency: first.concurrency,
      apply_batch_calls: first.batches,
      mean_apply_batch_ms: Math.round(first.meanMs),
      outcomes: first.counts,
      by_concurrency: Object.fromEntries(runs.map((r) => [r.concurrency, Math.round(r.rate)])),
    };
  } finally {
    odoo.close();
    await conn.close().catch(() => undefined);
    await target.stop();
  }
}
