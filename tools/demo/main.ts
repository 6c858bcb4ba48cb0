/**
 * npm run demo -- [--minutes M] [--orders N] [--rate 12] [--warehouse WH] [--fail-rate 0.1] [--stray-every 4]
 *   [--speed 4] [--settle 120] [--no-simulators] [--plain]
 *
 * The whole flow, moving, against the configured Odoo and RabbitMQ (the sidecar's own variables:
 * ODOO_URL, ODOO_DB, ODOO_LOGIN, ODOO_API_KEY, AMQP_URL, GATEWAY_TOKENS(_FILE), HTTP_LISTEN, GRPC_LISTEN)
 * plus an Odoo administrator for the seeding (ODOO_ADMIN_LOGIN, default admin, and ODOO_ADMIN_PASSWORD):
 * seeds a warehouse, streams sale and purchase orders at `rate` per minute, uses the sidecar answering at
 * HTTP_LISTEN or starts one, runs the work-following simulators (failing `fail-rate` of their jobs on
 * purpose) and, every `stray-every` sale orders, scans a barcode Odoo does not know (rejected by Odoo),
 * and shows what moves, read from the sidecar's /metrics and from Odoo. Ctrl-C, `--minutes` or
 * `--orders` stop the streaming; it then waits up to `--settle` seconds for the devices to finish, prints
 * the summary (its last line is the summary as JSON) and leaves everything in Odoo.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AdapterClient } from '@logistics-bridge/adapter-sdk';
import { gs1CheckDigit } from '@logistics-bridge/contract';
import { DEFAULT_ADAPTERS } from '../../adapters/simulators/defaults';
import { OdooFixtures } from '../fixtures';
import { renderFrame, renderSummary, summaryOf, type OdooCounts, type Progress } from './display';
import { figuresOf, parseMetrics, since, type Figures } from './metrics';
import { orderOf, placeOrder, seedWarehouse, type DemoWarehouse } from './seed';

const ROOT = resolve(__dirname, '../..');
/** Under tsx the sources run; in the image the tsc output (dist/tools/demo/main.js beside dist/sidecar). */
const COMPILED = __filename.endsWith('.js');
const nodeArgs = (tsFile: string): string[] => (COMPILED ? [resolve(__dirname, '../..', tsFile.replace(/\.ts$/, '.js'))] : ['--require', 'tsx/cjs', join(ROOT, tsFile)]);

function fail(message: string): never {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(2);
}

const USAGE =
  'usage: npm run demo -- [--minutes M] [--orders N] [--rate orders/min] [--warehouse CODE] [--fail-rate P] [--stray-every N] [--speed X] [--settle S] [--seed N] [--no-simulators] [--plain]';

function parse() {
  try {
    return parseArgs({
      options: {
        minutes: { type: 'string' },
        orders: { type: 'string' },
        rate: { type: 'string', default: '12' },
        warehouse: { type: 'string', default: 'WH' },
        'fail-rate': { type: 'string', default: '0.1' },
        'stray-every': { type: 'string', default: '4' },
        speed: { type: 'string', default: '4' },
        settle: { type: 'string', default: '120' },
        seed: { type: 'string' },
        'no-simulators': { type: 'boolean', default: false },
        plain: { type: 'boolean', default: !process.stdout.isTTY },
      },
    });
  } catch (err) {
    return fail(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
}

function options() {
  const { values } = parse();
  const num = (name: keyof typeof values, fallback?: number): number | undefined => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (typeof raw !== 'string' || !Number.isFinite(n) || n < 0) fail(`--${name}: expected a non-negative number, got ${String(raw)}`);
    return n;
  };
  const env = (name: string): string => process.env[name] || fail(`${name} is not set (the demo runs against the sidecar's configuration: ODOO_URL, ODOO_DB, ODOO_LOGIN, ODOO_API_KEY, AMQP_URL, and ODOO_ADMIN_PASSWORD for the seeding)`);
  const failRate = num('fail-rate') as number;
  if (failRate > 1) fail(`--fail-rate: between 0 and 1, got ${failRate}`);
  const rate = num('rate') as number;
  if (rate <= 0) fail('--rate: orders per minute, above 0');
  const code = values.warehouse ?? 'WH';
  if (!/^[A-Za-z0-9]{1,5}$/.test(code)) fail(`--warehouse: a warehouse code of 1 to 5 letters or digits, got ${code}`);
  const http = (process.env.HTTP_LISTEN || '127.0.0.1:9464').replace(/^0\.0\.0\.0:/, '127.0.0.1:');
  const grpc = (process.env.GRPC_LISTEN || '127.0.0.1:50051').replace(/^0\.0\.0\.0:/, '127.0.0.1:');
  return {
    minutes: num('minutes'),
    orders: num('orders'),
    rate,
    code,
    failRate,
    strayEvery: num('stray-every') as number,
    speed: num('speed') as number,
    settleS: num('settle') as number,
    seed: num('seed', Date.now() % 100_000) as number,
    simulators: !values['no-simulators'],
    plain: values.plain ?? false,
    odoo: { url: env('ODOO_URL'), db: env('ODOO_DB'), login: process.env.ODOO_ADMIN_LOGIN || 'admin', password: env('ODOO_ADMIN_PASSWORD') },
    // The sidecar's own address when it runs elsewhere (docker compose: http://sidecar:9464, sidecar:50051).
    sidecarUrl: (process.env.DEMO_SIDECAR_URL || `http://${http}`).replace(/\/$/, ''),
    gateway: process.env.DEMO_GATEWAY_ADDRESS || grpc,
  };
}
type Options = ReturnType<typeof options>;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
  });

async function scrape(url: string): Promise<Figures> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${url}/metrics answered ${res.status}`);
  return figuresOf(parseMetrics(await res.text()));
}

/** The gateway's adapter tokens: the configured ones, else the example file's (the sidecar the demo starts gets those). */
function tokens(): { file: string; inline?: string } {
  if (process.env.GATEWAY_TOKENS_FILE) return { file: process.env.GATEWAY_TOKENS_FILE };
  if (process.env.GATEWAY_TOKENS) {
    const file = join(mkdtempSync(join(tmpdir(), 'lb-demo-')), 'tokens.json');
    writeFileSync(file, process.env.GATEWAY_TOKENS, { mode: 0o600 });
    return { file };
  }
  const file = join(ROOT, 'deploy/gateway-tokens.example.json');
  return { file, inline: readFileSync(file, 'utf8') };
}

function child(args: string[], env: NodeJS.ProcessEnv, onLine: (line: string, stream: 'out' | 'err') => void): { proc: ChildProcess; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const [stream, name] of [[proc.stdout, 'out'], [proc.stderr, 'err']] as const) {
    let rest = '';
    stream?.on('data', (d: Buffer) => {
      const lines = (rest + d.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) onLine(l, name);
    });
  }
  return { proc, exited: new Promise((r) => proc.once('exit', (code) => r(code))) };
}

/** Uses the sidecar answering at `url`, or starts one with this process's configuration (and the example tokens when none are set). */
async function sidecar(o: Options, tok: ReturnType<typeof tokens>, log: (l: string) => void): Promise<{ stop(): Promise<void> }> {
  if (await scrape(o.sidecarUrl).then(() => true, () => false)) {
    log(`using the sidecar at ${o.sidecarUrl}`);
    return { stop: async () => undefined };
  }
  log(`no sidecar at ${o.sidecarUrl}: starting one`);
  const tail: string[] = [];
  const env = { ...process.env, ...(tok.inline ? { GATEWAY_TOKENS: tok.inline } : {}) };
  const s = child(nodeArgs('sidecar/src/main.ts'), env, (l) => {
    tail.push(l);
    if (tail.length > 40) tail.shift();
  });
  const deadline = Date.now() + 90_000;
  for (;;) {
    const ready = await fetch(`${o.sidecarUrl}/readyz`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.status, () => 0);
    if (ready === 200) break;
    if (s.proc.exitCode !== null || Date.now() > deadline) {
      s.proc.kill('SIGTERM');
      throw new Error(`the sidecar did not become ready at ${o.sidecarUrl}/readyz:\n${tail.join('\n')}`);
    }
    await sleep(500);
  }
  return {
    async stop() {
      if (s.proc.exitCode === null) s.proc.kill('SIGTERM');
      await s.exited;
    },
  };
}

/** What Odoo says about the run's pickings and its rejected updates. */
async function odooCounts(fx: OdooFixtures, pickingIds: readonly number[], strayPrefix: string): Promise<OdooCounts> {
  const rows = pickingIds.length ? await fx.searchRead<{ lb_automation_state: string | false; state: string }>('stock.picking', [['id', 'in', [...pickingIds]]], ['lb_automation_state', 'state']) : [];
  const automation: Record<string, number> = {};
  const state: Record<string, number> = {};
  for (const r of rows) {
    const a = r.lb_automation_state || 'none';
    automation[a] = (automation[a] ?? 0) + 1;
    state[r.state] = (state[r.state] ?? 0) + 1;
  }
  const rejectedUpdates = (await fx.call('logistics.bridge.update', 'search_count', [['&', ['state', '=', 'rejected'], '|', ['picking_id', 'in', [...pickingIds]], ['idempotency_key', '=like', `${strayPrefix}%`]]])) as number;
  return { pickings: rows.length, automation, state, rejectedUpdates };
}

/** A scan of a barcode no product has, on a real picking: Odoo answers "rejected" (product not found), the inbox keeps it. */
function strayScan(client: AdapterClient, wh: DemoWarehouse, pickingName: string, n: number, prefix: string): Promise<void> {
  const body = `4006999${wh.stamp}`.slice(0, 12).padEnd(12, '9');
  const unknown = `${body}${gs1CheckDigit(body)}`;
  return client.sendUpdate('scanner-stray', 'pick.confirmed', { picking: { name: pickingName }, lines: [{ product: { barcode: unknown }, quantity: 1 }] }, { idempotencyKey: `${prefix}${n}`, correlationId: `${prefix}${n}` });
}

async function main(): Promise<void> {
  const o = options();
  const recent: string[] = [];
  const note = (line: string) => {
    recent.push(`${new Date().toISOString().slice(11, 19)} ${line}`);
    if (recent.length > 6) recent.shift();
    if (o.plain) process.stdout.write(`${line}\n`);
  };
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());

  const fx = await OdooFixtures.connect(o.odoo);
  const stamp = `${Date.now()}`.slice(-6);
  note(`seeding warehouse ${o.code} (products ${stamp}-1..5, stock, customers, a supplier)`);
  const wh = await seedWarehouse(fx, { code: o.code, stamp });
  const tok = tokens();
  const side = await sidecar(o, tok, note);
  const start = await scrape(o.sidecarUrl);
  const strayPrefix = `demo-${stamp}-stray-`;

  const sims = o.simulators
    ? child(
        [...nodeArgs('adapters/simulators/cli.ts'), 'all', '--address', o.gateway, '--tokens-file', tok.file, '--warehouse', o.code, '--seed', String(o.seed), '--fail-rate', String(o.failRate), '--speed', String(o.speed), '--devices', '3'],
        process.env,
        (l, stream) => {
          if (stream === 'err' && /failed|reject|disconnected|refusing/.test(l)) note(l.length > 150 ? `${l.slice(0, 147)}...` : l);
        },
      )
    : undefined;
  const barcode = JSON.parse(readFileSync(tok.file, 'utf8')) as Record<string, { token?: string; family?: string }>;
  const barcodeId = barcode[DEFAULT_ADAPTERS.barcode.adapterId] ? DEFAULT_ADAPTERS.barcode.adapterId : Object.keys(barcode).find((k) => barcode[k]?.family === 'barcode');
  const stray = barcodeId && o.strayEvery > 0 ? new AdapterClient({ address: o.gateway, token: barcode[barcodeId]?.token ?? '', family: 'barcode', adapterId: barcodeId, streamId: `${barcodeId}-stray`, hello: { warehouse: o.code, model: 'handheld-scanner' } }) : undefined;
  // Work goes to the warehouse's pools once its adapters are connected (before that, to the families'
  // general pools, which adapters of another site do not read): the orders wait for the simulators.
  if (sims) {
    const deadline = Date.now() + 90_000;
    while ((await scrape(o.sidecarUrl).catch(() => start)).streams < start.streams + 3) {
      if (sims.proc.exitCode !== null || Date.now() > deadline) throw new Error('the simulators did not connect to the gateway (see the lines above)');
      await sleep(500);
    }
    note(`simulators connected to ${o.gateway} for warehouse ${o.code}`);
  }
  stray?.on('reject', (r) => note(`stray scan refused at the gateway: ${r.status} ${r.fieldPath}: ${r.message}`));
  await stray?.start();

  const started = Date.now();
  const progress: Progress = { elapsedS: 0, sale: 0, purchase: 0, strayScans: 0, settling: false, ...(o.minutes !== undefined ? { minutes: o.minutes } : {}), ...(o.orders !== undefined ? { orders: o.orders } : {}) };
  const pickingIds: number[] = [];
  let figures = since(start, start);
  let odoo: OdooCounts = { pickings: 0, automation: {}, state: {}, rejectedUpdates: 0 };
  const title = `Logistics Bridge demo: ${o.odoo.url} database ${o.odoo.db}, warehouse ${o.code}, sidecar ${o.sidecarUrl}`;
  const refresh = async () => {
    progress.elapsedS = (Date.now() - started) / 1000;
    figures = since(await scrape(o.sidecarUrl).catch(() => start), start);
    odoo = await odooCounts(fx, pickingIds, strayPrefix);
    const frame = renderFrame({ title, progress, figures, odoo, recent });
    process.stdout.write(o.plain ? `${frame.split('\n').slice(1, 12).join('\n')}\n\n` : `\x1b[2J\x1b[H${frame}\n`);
  };

  // The display, every 2 s (plain: every 10 s), while orders stream.
  let displaying = true;
  const display = (async () => {
    while (displaying) {
      await refresh().catch((err: unknown) => note(`display: ${err instanceof Error ? err.message : String(err)}`));
      await sleep(o.plain ? 10_000 : 2_000);
    }
  })();

  const ends = () => stop.signal.aborted || (o.orders !== undefined && progress.sale + progress.purchase >= o.orders) || (o.minutes !== undefined && Date.now() - started >= o.minutes * 60_000);
  for (let n = 0; !ends(); n++) {
    const due = started + (n * 60_000) / o.rate;
    await sleep(Math.max(0, due - Date.now()), stop.signal);
    if (stop.signal.aborted) break;
    const plan = orderOf(n, wh.products.length);
    const order = await placeOrder(fx, wh, plan);
    pickingIds.push(...order.pickingIds);
    if (plan.kind === 'purchase') progress.purchase += 1;
    else progress.sale += 1;
    if (stray && plan.kind === 'sale' && progress.sale % o.strayEvery === 0 && order.pickingIds[0]) {
      const [p] = await fx.searchRead<{ name: string }>('stock.picking', [['id', '=', order.pickingIds[0]]], ['name']);
      if (p) {
        await strayScan(stray, wh, p.name, progress.strayScans, strayPrefix);
        progress.strayScans += 1;
        note(`scanned an unknown barcode on ${p.name} (on purpose: Odoo rejects it)`);
      }
    }
  }

  // Settling: the devices finish the work out there, until nothing changes for 30 s (a stage waits up to
  // 30 s for an earlier one that did not get its work).
  progress.settling = true;
  const settleEnd = Date.now() + o.settleS * 1000;
  const interrupted = stop.signal.aborted;
  let last = '';
  let quietSince = Date.now();
  while (!interrupted && Date.now() < settleEnd) {
    await sleep(2_000);
    const counts = await odooCounts(fx, pickingIds, strayPrefix);
    const now = await scrape(o.sidecarUrl).catch(() => start);
    const key = JSON.stringify([counts, now.updatesApplied, now.updatesRejected, now.workSent]);
    if (key !== last) {
      last = key;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= 30_000) break;
  }
  displaying = false;
  await display;
  await stray?.close(5_000).catch(() => undefined);
  if (sims) {
    sims.proc.kill('SIGINT');
    await sims.exited;
  }
  progress.elapsedS = (Date.now() - started) / 1000;
  figures = since(await scrape(o.sidecarUrl).catch(() => start), start);
  odoo = await odooCounts(fx, pickingIds, strayPrefix);
  await side.stop();
  const summary = summaryOf(progress, figures, odoo);
  process.stdout.write(`\n${renderSummary(summary, o.odoo.url)}\n${JSON.stringify({ demo: 'summary', warehouse: o.code, ...summary })}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
