/**
 * The server side of bench/ingress.ts, in a process of its own so that its RSS is the server's alone:
 * `door` runs the partner HTTP door against RabbitMQ (AMQP_URL) with `partners` bearer partners and a
 * queue of its own (deleted at the end); `bare` is a plain Node HTTP server that reads the body, parses
 * the JSON and answers 202 (the ceiling). Talks to the parent over IPC: {ready}, then {stats} on demand
 * and {stopped} after a stop.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { PARTNER_UPDATE_TYPES } from '@logistics-bridge/contract';
import { Broker, UpdatePublisher } from '../sidecar/src/broker';
import type { Partner } from '../sidecar/src/config';
import { PartnerDirectory, PartnerDoor } from '../sidecar/src/partners';
import { createLogger } from '../sidecar/src/telemetry';

export interface IngressServerPlan {
  mode: 'door' | 'bare';
  partners: number;
}
export interface IngressServerStats {
  peakRssMb: number;
  rssMb: number;
  heapUsedMb: number;
}

export const benchToken = (i: number) => `bench-partner-token-${String(i).padStart(4, '0')}-0123456789`;

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2] ?? '{}') as IngressServerPlan;
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const stats = (): IngressServerStats => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    return { peakRssMb: peak / 2 ** 20, rssMb: m.rss / 2 ** 20, heapUsedMb: m.heapUsed / 2 ** 20 };
  };
  let port: number;
  let stop: () => Promise<void>;
  if (plan.mode === 'door') {
    const url = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
    const log = createLogger('error');
    const broker = await Broker.open({ url }, log);
    const queue = `bench.ingress.${randomBytes(4).toString('hex')}.logistics.updates`;
    const publisher = new UpdatePublisher(broker.model, { queue, window: 4096, log, appId: 'logistics-bridge-partners' });
    await publisher.declare();
    const partners: Partner[] = Array.from({ length: plan.partners }, (_, i) => ({ id: `p${i}`, scheme: 'bearer', secret: benchToken(i), ratePerSecond: 1e9, routes: ['updates'], types: PARTNER_UPDATE_TYPES }));
    const door = new PartnerDoor({ listen: '127.0.0.1:0', directory: new PartnerDirectory(partners), publisher, maxBodyBytes: 1024 * 1024, log });
    port = await door.start();
    stop = async () => {
      await door.stop();
      const ch = await broker.model.createChannel();
      await ch.deleteQueue(queue);
      await ch.deleteQueue(`${queue}.dead`);
      await broker.close();
    };
  } else {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let status = 202;
        try {
          JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          status = 400;
        }
        const text = JSON.stringify({ accepted: 1 });
        res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      });
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    stop = async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    };
  }
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'stats') process.send?.({ stats: stats() });
    if (m.cmd === 'stop') {
      void stop().then(() => {
        clearInterval(sampler);
        process.send?.({ stopped: stats() }, () => process.exit(0));
      });
    }
  });
  process.send?.({ ready: { port, baselineRssMb: process.memoryUsage().rss / 2 ** 20 } });
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`ingress server failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
