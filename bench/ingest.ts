/**
 * Gateway ingest benchmark: the same adapter traffic against (1) a bare grpc-js server that decodes each
 * message and answers an ack (the ceiling) and (2) the device gateway with zod validation, ERP
 * relevance and acks only after RabbitMQ confirms. The adapters run in a child process
 * (bench/ingest-client.ts) so the RSS measured here is the server's. Prints msgs/s, readings/s, the
 * ratio, the robot-fleet reduction ratio (readings in per ERP update out), then a phase with 200
 * adapters connected at once, and peak RSS. The last line is one JSON object.
 *
 *   npm run bench -- ingest [--messages 60000] [--streams 4] [--batch 1] [--window 256] [--adapters 200]
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import amqp from 'amqplib';
import { Registry } from 'prom-client';
import { Broker } from '../sidecar/src/broker';
import { DeviceGateway, loadServices, type GatewayTokens } from '../sidecar/src/devices/gateway';
import { createLogger } from '../sidecar/src/telemetry';
import { AMQP_URL } from '../test/support/env';
import type { ClientPlan } from './ingest-client';

interface Args {
  messages: number;
  streams: number;
  batch: number;
  window: number;
  adapters: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { messages: 60_000, streams: 4, batch: 1, window: 256, adapters: 200 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]?.replace(/^--/, '') as keyof Args;
    const v = Number(argv[i + 1]);
    if (k in a && Number.isFinite(v) && v > 0) a[k] = v;
  }
  return a;
}

interface ClientResult {
  seconds: number;
  messages: number;
  readings: number;
  acks: number;
  rejects: number;
}

function runClient(plan: ClientPlan): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'ingest-client.ts'), JSON.stringify(plan)], { maxBuffer: 1 << 20, env: { ...process.env, NODE_OPTIONS: '' } }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      const line = stdout.trim().split('\n').pop() ?? '{}';
      resolve(JSON.parse(line) as ClientResult);
    });
  });
}

/** A bare grpc-js server: decode, ack by sequence. The ceiling. */
async function bareServer(): Promise<{ port: number; server: grpc.Server }> {
  const server = new grpc.Server();
  server.addService(loadServices().robot_fleet, {
    Connect: (call: grpc.ServerDuplexStream<Record<string, unknown>, unknown>) => {
      call.on('data', (m: Record<string, unknown>) => {
        if (m.kind === 'hello') return void call.write({ hello_ack: { resume_after_sequence: '0' } });
        const t = m.telemetry as { envelope: { sequence: string } };
        call.write({ ack: { sequence: t.envelope.sequence, updates: 0 } });
      });
      call.on('end', () => call.end());
    },
  });
  const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  return { port, server };
}

export async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const say = (line: string) => process.stdout.write(`${line}\n`);
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


  const log = createLogger('error');
  const broker = await Broker.open({ url: AMQP_URL }, log);
  const tokens: GatewayTokens = {};
  for (let i = 0; i < Math.max(args.streams, args.adapters); i++) tokens[`fleet-${i}`] = { token: `bench-token-fleet-${i}-xxxxxxxx`, devices: ['*'], family: 'robot_fleet', ratePerSecond: 1e9 };
  const gateway = new DeviceGateway({ listen: '127.0.0.1:0', tokens, amqp: broker.model, registry: new Registry(), log, queuePrefix: `bench.${randomBytes(3).toString('hex')}.`, work: { enabled: false } });
  const port = await gateway.start();
  await gateway.publisher.declare();
  const baselineRss = process.memoryUsage().rss;
  say(`server RSS before the gateway run: ${(baselineRss / 2 ** 20).toFixed(0)} MB (node + tsx + modules, no traffic yet)`);
  const gw = await runClient(plan(port));
  const gatewayRate = gw.messages / gw.seconds;
  const reduction = gateway.reductionRatio();
  say(`gateway:       ${gatewayRate.toFixed(0)} msgs/s, ${(gw.readings / gw.seconds).toFixed(0)} readings/s (${gw.acks} acks, ${gw.rejects} rejects), peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB`);
  say(`robot fleet:   ${reduction.toFixed(1)} readings in per ERP update out`);

  const many = await runClient(plan(port, { streams: args.adapters, perStream: 500, window: 32, robotsPerStream: 2, streamSuffix: '-b' }));
  say(`${args.adapters} adapters:  ${(many.messages / many.seconds).toFixed(0)} msgs/s (${many.acks} acks), peak RSS of the gateway process ${(peakRss / 2 ** 20).toFixed(0)} MB`);

  const gatewayPeakRss = peakRss;
  if (global.gc) global.gc();
  const end = process.memoryUsage();
  say(`after: RSS ${(end.rss / 2 ** 20).toFixed(0)} MB, heap used ${(end.heapUsed / 2 ** 20).toFixed(0)} MB, heap total ${(end.heapTotal / 2 ** 20).toFixed(0)} MB, external ${(end.external / 2 ** 20).toFixed(0)} MB, array buffers ${(end.arrayBuffers / 2 ** 20).toFixed(0)} MB`);
  await gateway.stop();
  const conn = await amqp.connect(AMQP_URL);
  const ch = await conn.createChannel();
  const deleted = await ch.deleteQueue(gateway.publisher.queue);
  await conn.close();
  await broker.close();
  say(`updates made durable: ${deleted.messageCount} (bench queue deleted)`);

  // The ceiling runs after the gateway so the gateway's RSS is measured in a fresh process.
  const bare = await bareServer();
  const ceiling = await runClient(plan(bare.port));
  bare.server.forceShutdown();
  const ceilingRate = ceiling.messages / ceiling.seconds;
  say(`bare grpc-js:  ${ceilingRate.toFixed(0)} msgs/s, ${(ceiling.readings / ceiling.seconds).toFixed(0)} readings/s (same traffic, same client)`);
  say(`ratio:         ${(gatewayRate / ceilingRate).toFixed(2)} of the bare grpc-js ceiling`);
  say(
    JSON.stringify({
      ceiling_msgs_per_s: Math.round(ceilingRate),
      gateway_msgs_per_s: Math.round(gatewayRate),
      ratio: Number((gatewayRate / ceilingRate).toFixed(3)),
      reduction_ratio: Number(reduction.toFixed(1)),
      peak_rss_mb: Math.round(gatewayPeakRss / 2 ** 20),
      baseline_rss_mb: Math.round(baselineRss / 2 ** 20),
      readings_per_message: args.batch,
      ceiling_readings_per_s: Math.round(ceiling.readings / ceiling.seconds),
      gateway_readings_per_s: Math.round(gw.readings / gw.seconds),
      adapters: args.adapters,
    }),
  );
  clearInterval(sampler);
}
