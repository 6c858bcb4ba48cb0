/**
 * The load side of `bench/ingest.ts`, run as a child process so the server's RSS and CPU are its own:
 * opens `streams` robot-fleet adapter streams, sends pre-built telemetry with a window of unanswered
 * messages per stream, and prints one JSON line with the elapsed time and answer counts.
 */
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { LOADER_OPTIONS, PROTO_FILES, SERVICE_NAMES } from '@logistics-bridge/contract';
import { robotFleetTraffic, telemetryMessages } from '../test/support/device-traffic';

export interface ClientPlan {
  port: number;
  streams: number;
  perStream: number;
  batch: number;
  window: number;
  robotsPerStream: number;
  taskSeconds: number;
  /** Adapter ids are `${prefix}${i}`, tokens `bench-token-${prefix}${i}-xxxxxxxx`. */
  prefix: string;
  streamSuffix: string;
  /** Instead of fleet traffic: messages of about this many bytes (robot states carrying long error texts), near the gateway's size limit. */
  messageBytes?: number;
}

/** Telemetry messages of about `bytes` each: robot states with 100 errors of 1,000 characters (~100 KB a state). */
function largeMessages(id: string, streamId: string, perStream: number, bytes: number): unknown[] {
  const errors = Array.from({ length: 100 }, (_, i) => ({ error_type: `w${i}`, error_level: 'LEVEL_WARNING', error_description: 'x'.repeat(1000) }));
  const perMessage = Math.max(1, Math.floor(bytes / 102_000));
  const start = 1_767_225_600_000;
  const readings = Array.from({ length: perStream * perMessage }, (_, i) => ({
    state: { time_ms: String(start + i * 100), robot_id: 'robot-0', battery_charge: 80, errors },
  }));
  return telemetryMessages(id, streamId, readings, perMessage).slice(0, perStream);
}

type Duplex = grpc.ClientDuplexStream<unknown, Record<string, unknown>>;

function drive(call: Duplex, hello: unknown, messages: unknown[], window: number): Promise<{ acks: number; rejects: number }> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let answered = 0;
    let acks = 0;
    let rejects = 0;
    let waitingDrain = false;
    const pump = () => {
      while (!waitingDrain && next < messages.length && next - answered < window) {
        if (!call.write(messages[next++])) {
          waitingDrain = true;
          call.once('drain', () => {
            waitingDrain = false;
            pump();
          });
        }
      }
    };
    call.on('data', (m: Record<string, unknown>) => {
      if (m.kind === 'ack' || m.kind === 'reject') {
        answered++;
        if (m.kind === 'ack') acks++;
        else rejects++;
        if (answered === messages.length) {
          call.end();
          resolve({ acks, rejects });
        } else pump();
      } else if (m.kind === 'hello_ack') pump();
    });
    call.on('error', (err) => reject(err));
    call.write(hello);
  });
}

async function run(plan: ClientPlan): Promise<void> {
  const pkg = grpc.loadPackageDefinition(loadSync(PROTO_FILES, LOADER_OPTIONS)) as unknown as { logistics: { device: { v1: Record<string, grpc.ServiceClientConstructor> } } };
  const Ctor = pkg.logistics.device.v1[SERVICE_NAMES.robot_fleet] as grpc.ServiceClientConstructor;
  const seconds = Math.ceil((plan.perStream * plan.batch) / (plan.robotsPerStream * 11)) + 1;
  const work = Array.from({ length: plan.streams }, (_, i) => {
    const id = `${plan.prefix}${i}`;
    if (plan.messageBytes) return largeMessages(id, `${id}${plan.streamSuffix}`, plan.perStream, plan.messageBytes);
    const traffic = robotFleetTraffic(id, { robots: plan.robotsPerStream, seconds, taskSeconds: plan.taskSeconds });
    return telemetryMessages(id, `${id}${plan.streamSuffix}`, traffic.readings, plan.batch).slice(0, plan.perStream);
  });
  const readings = work.reduce((s, w) => s + w.reduce((n: number, m) => n + (m as { telemetry: { readings: unknown[] } }).telemetry.readings.length, 0), 0);
  const messages = work.reduce((s, w) => s + w.length, 0);
  const t0 = process.hrtime.bigint();
  const results = await Promise.all(
    work.map((msgs, i) => {
      const id = `${plan.prefix}${i}`;
      const client = new Ctor(`127.0.0.1:${plan.port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer bench-token-${id}-xxxxxxxx`);
      const call = (client as unknown as { Connect: (md: grpc.Metadata) => Duplex }).Connect(md);
      return drive(call, { hello: { adapter_id: id, family: 'FAMILY_ROBOT_FLEET', stream_id: `${id}${plan.streamSuffix}` } }, msgs, plan.window);
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(
    `${JSON.stringify({ seconds: elapsed, messages, readings, acks: results.reduce((s, r) => s + r.acks, 0), rejects: results.reduce((s, r) => s + r.rejects, 0) })}\n`,
  );
}

if (require.main === module) {
  run(JSON.parse(process.argv[2] ?? '{}') as ClientPlan).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`ingest client failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
