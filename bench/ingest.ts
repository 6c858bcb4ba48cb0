/**
 * Gateway ingest benchmark: the same adapter traffic against (1) a bare grpc-js server that decodes each
 * message and answers an ack (the ceiling) and (2) the device gateway with zod validation, ERP
 * relevance and acks only after RabbitMQ confirms. Servers and adapters each run in their own child
 * process (bench/ingest-server.ts, bench/ingest-client.ts), so the RSS and CPU measured are the server's.
 * By default the servers run as the product is deployed (sidecar/Dockerfile): plain `node` on the tsc
 * output, which this bench builds into dist/ first, with the node options of sidecar/Dockerfile;
 * `--tsx 1` runs them under the tsx loader without them instead (about 18 MB more RSS before any
 * traffic). BENCH_SERVER_NODE_ARGS adds node options to the server processes (e.g. --cpu-prof). Prints msgs/s, readings/s, the ratio, the robot-fleet
 * reduction ratio (readings in per ERP update out), then a phase with 200 adapters connected at once,
 * peak RSS and the gateway's peak buffered bytes, then a phase of adapters sending messages near the
 * 4 MiB limit (peak RSS, RSS after they left). The last line is one JSON object.
 *
 *   npm run bench -- ingest [--messages 60000] [--streams 4] [--batch 1] [--window 256] [--adapters 200] [--rounds 2] [--bigStreams 2] [--bigMessages 25] [--tsx 1]
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { loadavg as osLoadavg } from 'node:os';
import { buildDist, entry, serverArgs } from './deployed';
import type { ClientPlan } from './ingest-client';
import type { ServerPlan, ServerStats } from './ingest-server';
import { numericFlags } from './args';

interface Args {
  messages: number;
  streams: number;
  batch: number;
  window: number;
  adapters: number;
  tsx: number;
  rounds: number;
  bigStreams: number;
  bigMessages: number;
}

function parseArgs(argv: string[]): Args {
  return numericFlags(argv, { messages: 60_000, streams: 4, batch: 1, window: 256, adapters: 200, tsx: 0, rounds: 2, bigStreams: 2, bigMessages: 25 });
}

interface ClientResult {
  seconds: number;
  messages: number;
  readings: number;
  acks: number;
  rejects: number;
}

function runClient(plan: ClientPlan, tsx: boolean): Promise<ClientResult> {
  const e = entry('bench/ingest-client', tsx);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...e.execArgv, e.file, JSON.stringify(plan)], { maxBuffer: 1 << 20, env: { ...process.env, NODE_OPTIONS: '' } }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      const line = stdout.trim().split('\n').pop() ?? '{}';
      resolve(JSON.parse(line) as ClientResult);
    });
  });
}

interface ServerChild {
  port: number;
  baselineRssMb: number;
  stats(): Promise<ServerStats>;
  stop(): Promise<ServerStats>;
}

/** Starts bench/ingest-server in its own process; BENCH_SERVER_NODE_ARGS (e.g. --cpu-prof) apply to it alone. */
function startServer(plan: ServerPlan, tsx: boolean): Promise<ServerChild> {
  const e = entry('bench/ingest-server', tsx);
  const child: ChildProcess = fork(e.file, [JSON.stringify(plan)], { execArgv: [...e.execArgv, ...serverArgs(tsx)], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = <K extends string>(key: K) =>
    new Promise<Record<K, unknown>[K]>((resolve, reject) => {
      const onMsg = (m: Record<string, unknown>) => {
        if (key in m) {
          child.off('message', onMsg);
          child.off('exit', onExit);
          resolve(m[key] as Record<K, unknown>[K]);
        }
      };
      const onExit = (code: number | null) => reject(new Error(`ingest server exited with ${code}`));
      child.on('message', onMsg);
      child.once('exit', onExit);
    });
  return next('ready').then((r) => {
    const ready = r as { port: number; baselineRssMb: number };
    return {
      port: ready.port,
      baselineRssMb: ready.baselineRssMb,
      stats: () => {
        const p = next('stats');
        child.send({ cmd: 'stats' });
        return p as Promise<ServerStats>;
      },
      stop: () => {
        const p = next('stopped');
        child.send({ cmd: 'stop' });
        return p as Promise<ServerStats>;
      },
    };
  });
}

export async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const tsx = args.tsx > 0;
  const say = (line: string) => process.stdout.write(`${line}\n`);
  if (!tsx) buildDist();
  const plan = (port: number, over: Partial<ClientPlan> = {}): ClientPlan => ({
    port,
    streams: args.streams,
    perStream: Math.ceil(args.messages / args.streams),
    batch: args.batch,
    window: args.window,
    robotsPerStream: 20,
    taskSeconds: 20,
    prefix: 'fleet-',
    streamSuffix: '',
    ...over,
  });
  say(`ingest bench: robot-fleet telemetry (10 Hz state + 1 Hz heartbeat per robot), ${args.streams} streams, ${args.messages} messages, ${args.batch} reading(s) per message, window ${args.window}`);
  say(`servers run under ${tsx ? 'the tsx loader' : `plain node on the tsc output, as deployed`} with node options [${serverArgs(tsx).join(' ')}]; load average before: ${loadavg()}`);

  const gateway = await startServer({ mode: 'gateway', adapters: Math.max(args.streams, args.adapters) }, tsx);
  say(`server RSS before the gateway run: ${gateway.baselineRssMb.toFixed(0)} MB (node + modules + broker connection, no traffic yet)`);
  const bare = await startServer({ mode: 'bare', adapters: 0 }, tsx);
  // Rounds alternate which server goes first, and the best round of each counts: on a shared machine
  // the load changes within a run, and a single pair measures the neighbours as much as the code.
  let gw: ClientResult | undefined;
  let ceiling: ClientResult | undefined;
  const rate = (r: ClientResult | undefined) => (r ? r.messages / r.seconds : 0);
  for (let round = 0; round < args.rounds; round++) {
    const one = async (which: 'gateway' | 'bare') => {
      const r = await runClient(plan(which === 'gateway' ? gateway.port : bare.port, { streamSuffix: `-r${round}` }), tsx);
      say(`round ${round + 1} ${which === 'gateway' ? 'gateway:     ' : 'bare grpc-js:'} ${rate(r).toFixed(0)} msgs/s (${r.acks} acks, ${r.rejects} rejects), load ${loadavg()}`);
      if (which === 'gateway' && rate(r) > rate(gw)) gw = r;
      if (which === 'bare' && rate(r) > rate(ceiling)) ceiling = r;
    };
    for (const which of round % 2 === 0 ? (['bare', 'gateway'] as const) : (['gateway', 'bare'] as const)) await one(which);
  }
  if (!gw || !ceiling) throw new Error('--rounds must be at least 1');
  const gatewayRate = rate(gw);
  const ceilingRate = rate(ceiling);
  const afterMain = await gateway.stats();
  const reduction = afterMain.reduction;
  say(`gateway:       ${gatewayRate.toFixed(0)} msgs/s, ${(gw.readings / gw.seconds).toFixed(0)} readings/s (best of ${args.rounds}), peak RSS ${afterMain.peakRssMb.toFixed(0)} MB`);
  say(`robot fleet:   ${reduction.toFixed(1)} readings in per ERP update out`);

  const many = await runClient(plan(gateway.port, { streams: args.adapters, perStream: 500, window: 32, robotsPerStream: 2, streamSuffix: '-b' }), tsx);
  const afterMany = await gateway.stats();
  // Messages near the 4 MiB limit, all sent at once (window = all): what the gateway holds of them is
  // bounded by GATEWAY_MAX_BUFFERED_BYTES and the read gates, not by their number or size.
  const bigPlan = plan(gateway.port, { streams: args.bigStreams, perStream: args.bigMessages, window: args.bigMessages, streamSuffix: '-big', messageBytes: 3_900_000 });
  const big = await runClient(bigPlan, tsx);
  const end = await gateway.stop();
  say(`${args.adapters} adapters:  ${(many.messages / many.seconds).toFixed(0)} msgs/s (${many.acks} acks), peak RSS of the gateway process ${afterMany.peakRssMb.toFixed(0)} MB`);
  say(
    `near-limit messages: ${args.bigStreams} streams x ${args.bigMessages} messages of ~3.9 MB sent at once (${big.acks} acks, ${big.rejects} rejects, ${(big.seconds).toFixed(1)} s): peak RSS of the gateway process ${end.peakRssMb.toFixed(0)} MB, ${end.rssMb.toFixed(0)} MB after`,
  );
  const pk = end.atPeak;
  say(`at the RSS peak: V8 heap ${pk.heapTotalMb.toFixed(0)} MB (${pk.heapUsedMb.toFixed(0)} MB used), external ${pk.externalMb.toFixed(0)} MB (array buffers ${pk.arrayBuffersMb.toFixed(0)} MB)`);
  say(`gateway buffers: at most ${(end.peakBufferedBytes / 2 ** 20).toFixed(1)} MB / ${end.peakBufferedMessages} adapter messages held at once; after: RSS ${end.rssMb.toFixed(0)} MB, heap used ${end.heapUsedMb.toFixed(0)} MB`);
  say(`updates made durable: ${end.durable ?? '?'} (bench queue deleted)`);

  const bareEnd = await bare.stop();
  say(`bare grpc-js:  ${ceilingRate.toFixed(0)} msgs/s, ${(ceiling.readings / ceiling.seconds).toFixed(0)} readings/s (same traffic, same client, best of ${args.rounds}), peak RSS ${bareEnd.peakRssMb.toFixed(0)} MB`);
  say(`ratio:         ${(gatewayRate / ceilingRate).toFixed(2)} of the bare grpc-js ceiling; load average after: ${loadavg()}`);
  say(
    JSON.stringify({
      ceiling_msgs_per_s: Math.round(ceilingRate),
      gateway_msgs_per_s: Math.round(gatewayRate),
      ratio: Number((gatewayRate / ceilingRate).toFixed(3)),
      reduction_ratio: Number(reduction.toFixed(1)),
      peak_rss_mb: Math.round(afterMany.peakRssMb),
      near_limit_peak_rss_mb: Math.round(end.peakRssMb),
      near_limit_rss_after_mb: Math.round(end.rssMb),
      baseline_rss_mb: Math.round(gateway.baselineRssMb),
      bare_peak_rss_mb: Math.round(bareEnd.peakRssMb),
      peak_buffered_mb: Number((end.peakBufferedBytes / 2 ** 20).toFixed(1)),
      runtime: tsx ? 'tsx' : 'node',
      node_options: serverArgs(tsx).join(' '),
      readings_per_message: args.batch,
      ceiling_readings_per_s: Math.round(ceiling.readings / ceiling.seconds),
      gateway_readings_per_s: Math.round(gw.readings / gw.seconds),
      adapters: args.adapters,
      rounds: args.rounds,
      adapters_msgs_per_s: Math.round(many.messages / many.seconds),
    }),
  );
}

function loadavg(): string {
  return osLoadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
}
