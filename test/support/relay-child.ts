/**
 * A relay alone in its own process, for tests that kill it (SIGKILL) mid-batch and for the benchmark
 * (bench/relay.ts runs it as deployed: plain node on the tsc output with the image's node options).
 * Configured by the same environment variables as the sidecar (ODOO_*, AMQP_URL, RELAY_*), plus
 * LB_TOPOLOGY_PREFIX (exchanges of its own, for the benchmark) and LB_RELAY_CLAIMERS; prints
 * "relay-child ready".
 *
 * With an IPC channel (fork) it also answers the benchmark: `{cmd: 'memory', reset?}` → `{memory}`
 * (peak RSS and the heap at that peak, sampled every 100 ms, since start or the last reset), and
 * `{cmd: 'record'}` starts sending `{confirmed: [[messageId, epochMs], ...]}` every 100 ms: when each
 * message was confirmed by the broker, for commit → confirm latency on the benchmark's clock.
 */
import { getHeapStatistics } from 'node:v8';
import type { PublishRequest } from '../../sidecar/src/broker';
import { Broker } from '../../sidecar/src/broker';
import { loadConfig } from '../../sidecar/src/config';
import { OdooClient } from '../../sidecar/src/odoo';
import { createRelay, type RelayPublisher } from '../../sidecar/src/outbox';
import { createLogger } from '../../sidecar/src/telemetry';

export interface ChildMemory {
  peakRssMb: number;
  /** process.memoryUsage() when RSS peaked, in MB. */
  atPeak: { heapTotalMb: number; heapUsedMb: number; externalMb: number; arrayBuffersMb: number };
  peakHeapUsedMb: number;
  rssMb: number;
  heapLimitMb: number;
}

const MB = 2 ** 20;

function memoryProbe(): { sample(): void; read(reset: boolean): ChildMemory } {
  let peak = process.memoryUsage();
  let peakHeapUsed = peak.heapUsed;
  return {
    sample() {
      const m = process.memoryUsage();
      if (m.rss > peak.rss) peak = m;
      peakHeapUsed = Math.max(peakHeapUsed, m.heapUsed);
    },
    read(reset) {
      const now = process.memoryUsage();
      const out: ChildMemory = {
        peakRssMb: Math.max(peak.rss, now.rss) / MB,
        atPeak: { heapTotalMb: peak.heapTotal / MB, heapUsedMb: peak.heapUsed / MB, externalMb: peak.external / MB, arrayBuffersMb: peak.arrayBuffers / MB },
        peakHeapUsedMb: Math.max(peakHeapUsed, now.heapUsed) / MB,
        rssMb: now.rss / MB,
        heapLimitMb: getHeapStatistics().heap_size_limit / MB,
      };
      if (reset) {
        peak = now;
        peakHeapUsed = now.heapUsed;
      }
      return out;
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger(config.log.level);
  const odoo = new OdooClient(config.odoo);
  const broker = await Broker.open(config.amqp, log);
  await broker.model.waitForConnect();
  const prefix = process.env.LB_TOPOLOGY_PREFIX;
  const topology = prefix ? { events: `${prefix}.events`, unroutableExchange: `${prefix}.unroutable`, unroutableQueue: `${prefix}.unroutable` } : undefined;
  const claimers = Number(process.env.LB_RELAY_CLAIMERS ?? 1);

  const ipc = process.send?.bind(process);
  let confirmed: Array<[string, number]> | undefined;
  const wrapPublisher = ipc
    ? (inner: RelayPublisher): RelayPublisher => ({
        ready: (signal) => inner.ready(signal),
        async publish(req: PublishRequest, signal?: AbortSignal) {
          await inner.publish(req, signal);
          if (confirmed && req.options.messageId) confirmed.push([req.options.messageId, performance.timeOrigin + performance.now()]);
        },
      })
    : undefined;
  const { relay, publisher } = createRelay({ config, odoo, broker, log, topology, claimers, wrapPublisher });

  const timers: NodeJS.Timeout[] = [];
  if (ipc) {
    const memory = memoryProbe();
    timers.push(setInterval(() => memory.sample(), 100));
    timers.push(
      setInterval(() => {
        if (confirmed?.length) {
          ipc({ confirmed });
          confirmed = [];
        }
      }, 100),
    );
    process.on('message', (m: { cmd?: string; reset?: boolean }) => {
      if (m.cmd === 'memory') ipc({ memory: memory.read(m.reset === true) });
      if (m.cmd === 'record') confirmed ??= [];
    });
  }
  const ac = new AbortController();
  process.once('SIGTERM', () => ac.abort(new Error('SIGTERM')));
  process.stdout.write('relay-child ready\n');
  await relay.run(ac.signal);
  for (const t of timers) clearInterval(t);
  await publisher.close();
  await broker.close();
  odoo.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`relay-child failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
