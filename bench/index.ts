/**
 * `npm run bench -- <name> [args]`: runs one benchmark. Benchmarks print figures, the last line of
 * output is one JSON object; they never assert timings. Add an entry per benchmark file bench/<name>.ts
 * exporting `main(args)`, and its figures to bench/figures.ts.
 *
 * `npm run bench` (or `npm run bench -- all [--only a,b] [--with "<name> <args>"]... [--out DIR]`): every
 * benchmark, one after the other, each in its own process (as `npm run bench -- <name>` runs it, with the
 * arguments `--with` gives it); then DIR/latest.json (bench/results by default: each benchmark's JSON
 * line, time and error, and the figures with their budgets and ceilings) and DIR/latest.svg (each figure
 * next to its ceiling and budget, bench/chart.ts). A failing benchmark is recorded and the others still run;
 * the exit code is 1 when one failed.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { renderChart } from './chart';
import { figuresOf, lastJsonLine, type BenchOutcome } from './figures';

const BENCHES: Record<string, () => Promise<{ main(args: string[]): Promise<void> }>> = {
  ingest: () => import('./ingest'),
  relay: () => import('./relay'),
  claim: () => import('./claim'),
  apply: () => import('./apply'),
  ingress: () => import('./ingress'),
  work: () => import('./work'),
  'relay-restart': () => import('./relay-restart'),
};

const USAGE = `usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [args]  |  npm run bench [-- all [--only a,b] [--with "<name> <args>"]... [--out DIR]]`;

/** The `all` command line: which benchmarks, with which arguments, results where. */
export function parseAll(argv: readonly string[]): { names: string[]; args: Map<string, string[]>; out: string } {
  let names = Object.keys(BENCHES);
  const args = new Map<string, string[]>();
  let out = resolve(__dirname, 'results');
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    if (flag === '--only') {
      names = value.split(',').map((n) => n.trim());
      const unknown = names.filter((n) => !(n in BENCHES));
      if (unknown.length || names.length === 0) throw new Error(`--only: unknown benchmark ${unknown.join(', ')}\n${USAGE}`);
    } else if (flag === '--with') {
      const [name = '', ...rest] = value.trim().split(/\s+/);
      if (!(name in BENCHES)) throw new Error(`--with: unknown benchmark ${name}\n${USAGE}`);
      args.set(name, rest);
    } else if (flag === '--out') out = resolve(value);
    else throw new Error(`unknown argument ${flag}\n${USAGE}`);
  }
  return { names, args, out };
}

function runOne(name: string, args: readonly string[]): Promise<BenchOutcome> {
  const started = Date.now();
  process.stdout.write(`\n=== npm run bench -- ${[name, ...args].join(' ')} (load average ${loadavg().map((n) => n.toFixed(2)).join(' ')})\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, name, ...args], { cwd: resolve(__dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
    process.stdout.write(d);
  });
  return new Promise((done) =>
    child.once('exit', (code, signal) => {
      const seconds = Math.round((Date.now() - started) / 100) / 10;
      const result = lastJsonLine(output);
      const error = code !== 0 ? `exit ${code ?? signal}` : result ? undefined : 'no JSON line at the end of its output';
      done({ bench: name, seconds, ...(result ? { result } : {}), ...(error ? { error } : {}) });
    }),
  );
}

async function runAll(argv: readonly string[]): Promise<number> {
  const { names, args, out } = parseAll(argv);
  const started = new Date();
  const loadBefore = loadavg();
  const outcomes: BenchOutcome[] = [];
  for (const name of names) outcomes.push(await runOne(name, args.get(name) ?? []));
  const figures = figuresOf(outcomes);
  mkdirSync(out, { recursive: true });
  const host = { cpus: cpus().length, node: process.version, load_before: loadBefore.map((n) => Number(n.toFixed(2))), load_after: loadavg().map((n) => Number(n.toFixed(2))) };
  writeFileSync(join(out, 'latest.json'), `${JSON.stringify({ started: started.toISOString(), finished: new Date().toISOString(), host, benches: outcomes, figures }, null, 2)}\n`);
  const ran = outcomes.map((o) => `${o.bench}${o.error ? ' (failed)' : ''}${args.has(o.bench) ? ` ${args.get(o.bench)?.join(' ')}` : ''}`).join(', ');
  writeFileSync(join(out, 'latest.svg'), renderChart(figures, `${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${host.cpus} cores, load ${host.load_before.join(' ')}; ran: ${ran}`));
  process.stdout.write(`\n${outcomes.map((o) => `${o.bench}: ${o.error ?? 'ok'} in ${o.seconds} s`).join('\n')}\nwrote ${join(out, 'latest.json')} and ${join(out, 'latest.svg')}\n`);
  process.stdout.write(`${JSON.stringify({ benches: outcomes.length, failed: outcomes.filter((o) => o.error).map((o) => o.bench), figures: Object.fromEntries(figures.map((f) => [`${f.bench}.${f.key}`, f.value])) })}\n`);
  return outcomes.some((o) => o.error) ? 1 : 0;
}

async function run(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  if (name === undefined || name === 'all') return runAll(args);
  const load = BENCHES[name];
  if (!load) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  await (await load()).main(args);
  return 0;
}

if (require.main === module) {
  run().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
