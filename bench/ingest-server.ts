/**
 * The server side of `bench/ingest.ts`, run as a child process (IPC) so its RSS and CPU are the server's
 * alone and so it can run the way sidecar/Dockerfile deploys the product: plain `node` on the tsc output.
 * Mode `gateway` runs the device gateway against RabbitMQ; mode `bare` a bare grpc-js server that decodes
 * each message and answers an ack (the ceiling). Messages from the parent: `stats`, `stop`.
 */
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import amqp from 'amqplib';
import { Registry } from 'prom-client';
import { Broker } from '../sidecar/src/broker';
import { loadServices } from '@logistics-bridge/contract';
import type { GatewayTokens } from '../sidecar/src/config';
import { DeviceGateway } from '../sidecar/src/devices/gateway';
import { createLogger } from '../sidecar/src/telemetry';
import { AMQP_URL } from '../test/support/env';

export interface ServerPlan {
  mode: 'gateway' | 'bare';
  adapters: number;
}

export interface ServerStats {
  peakRssMb: number;
  rssMb: number;
  heapUsedMb: number;
  /** process.memoryUsage() when RSS peaked, in MB. */
  atPeak: { heapTotalMb: number; heapUsedMb: number; externalMb: number; arrayBuffersMb: number };
  reduction: number;
  /** Most bytes of adapter messages the gateway held at once (received, not answered). */
  peakBufferedBytes: number;
  peakBufferedMessages: number;
  durable?: number;
}

async function bareServer(): Promise<{ port: number; stop(): Promise<void> }> {
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
  return { port, stop: async () => server.forceShutdown() };
}

async function gatewayServer(adapters: number): Promise<{ port: number; gateway: DeviceGateway; stop(): Promise<number> }> {
  const log = createLogger('error');
  const broker = await Broker.open({ url: AMQP_URL }, log);
  const tokens: GatewayTokens = {};
  for (let i = 0; i < adapters; i++) tokens[`fleet-${i}`] = { token: `bench-token-fleet-${i}-xxxxxxxx`, devices: ['*'], family: 'robot_fleet', ratePerSecond: 1e9 };
  const gateway = new DeviceGateway({ listen: '127.0.0.1:0', tokens, amqp: broker.model, registry: new Registry(), log, queuePrefix: `bench.${randomBytes(3).toString('hex')}.` });
  const port = await gateway.start();
  await gateway.publisher.declare();
  return {
    port,
    gateway,
    async stop() {
      await gateway.stop();
      const conn = await amqp.connect(AMQP_URL);
      const ch = await conn.createChannel();
      const deleted = await ch.deleteQueue(gateway.publisher.queue);
      await conn.close();
      await broker.close();
      return deleted.messageCount;
    },
  };
}

const budgetOf = (g: DeviceGateway | undefined) => (g as unknown as { budget?: { peakBytes: number; peakMessages: number } } | undefined)?.budget;

async function run(plan: ServerPlan): Promise<void> {
  const send = (m: unknown) => process.send?.(m);
  let peakRss = 0;
  let atPeak = process.memoryUsage();
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss <= peakRss) return;
    peakRss = rss;
    atPeak = process.memoryUsage();
  }, 50);
  const srv = plan.mode === 'gateway' ? await gatewayServer(plan.adapters) : await bareServer();
  const gateway = 'gateway' in srv ? srv.gateway : undefined;
  if (global.gc) global.gc();
  const baseline = process.memoryUsage().rss;
  peakRss = baseline;
  const stats = (): ServerStats => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    return {
      peakRssMb: peakRss / 2 ** 20,
      rssMb: m.rss / 2 ** 20,
      heapUsedMb: m.heapUsed / 2 ** 20,
      atPeak: { heapTotalMb: atPeak.heapTotal / 2 ** 20, heapUsedMb: atPeak.heapUsed / 2 ** 20, externalMb: atPeak.external / 2 ** 20, arrayBuffersMb: atPeak.arrayBuffers / 2 ** 20 },
      reduction: gateway?.reductionRatio() ?? 0,
      peakBufferedBytes: budgetOf(gateway)?.peakBytes ?? 0,
      peakBufferedMessages: budgetOf(gateway)?.peakMessages ?? 0,
    };
  };
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'stats') send({ stats: stats() });
    else if (m.cmd === 'stop') {
      clearInterval(sampler);
      const s = stats();
      srv.stop().then(
        (durable) => {
          send({ stopped: { ...s, durable: typeof durable === 'number' ? durable : undefined } });
          setTimeout(() => process.exit(0), 50);
        },
        (err: unknown) => {
          process.stderr.write(`stop failed: ${String(err)}\n`);
          process.exit(1);
        },
      );
    }
  });
  send({ ready: { port: srv.port, baselineRssMb: baseline / 2 ** 20 } });
}

if (require.main === module) {
  run(JSON.parse(process.argv[2] ?? '{}') as ServerPlan).catch((err: unknown) => {
    process.stderr.write(`ingest server failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
