/**
 * Test helpers for the device gateway: a gateway bound to port 0 against the real RabbitMQ, a
 * queue prefix unique to the run, a minimal adapter client, and a reader of the updates queue.
 */
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import amqp from 'amqplib';
import { Registry } from 'prom-client';
import { Broker } from '../../sidecar/src/broker';
import { gs1CheckDigit, LOADER_OPTIONS, PROTO_FILES, SERVICE_NAMES, type Family } from '@logistics-bridge/contract';
import type { GatewayTokens } from '../../sidecar/src/config';
import { DeviceGateway, type DeviceGatewayOptions } from '../../sidecar/src/devices/gateway';
import { createLogger } from '../../sidecar/src/telemetry';
import { AMQP_URL } from './env';


export const TOKENS: GatewayTokens = {
  'sorter-a': { token: 'sorter-a-token-0123456789', devices: ['sorter-1', 'scanner-*'], family: 'sorter', ratePerSecond: 100_000 },
  'scan-a': { token: 'scan-a-token-0123456789ab', devices: ['*'], family: 'barcode', ratePerSecond: 100_000 },
  'fleet-a': { token: 'fleet-a-token-0123456789a', devices: ['*'], family: 'robot_fleet', ratePerSecond: 100_000 },
  'slow-a': { token: 'slow-a-token-0123456789ab', devices: ['*'], ratePerSecond: 5 },
};
export const tokenOf = (adapterId: string) => TOKENS[adapterId]?.token ?? '';

export interface GatewayFixture {
  gateway: DeviceGateway;
  port: number;
  queue: string;
  registry: Registry;
  broker: Broker;
  stop(): Promise<void>;
}

/**
 * `wrapAmqp` lets a test put a seam between the gateway and the broker's recovering connection (e.g.
 * hold publisher confirms to play a slow broker).
 */
export async function startGateway(overrides: Partial<DeviceGatewayOptions> = {}, wrapAmqp?: (amqp: DeviceGatewayOptions['amqp']) => DeviceGatewayOptions['amqp']): Promise<GatewayFixture> {
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'error');
  const broker = await Broker.open({ url: AMQP_URL }, log);
  const registry = new Registry();
  const queuePrefix = `test.gw.${randomBytes(4).toString('hex')}.`;
  const amqpSource = wrapAmqp ? wrapAmqp(broker.model) : broker.model;
  const gateway = new DeviceGateway({ listen: '127.0.0.1:0', tokens: TOKENS, amqp: amqpSource, registry, log, queuePrefix, ...overrides });
  const port = await gateway.start();
  await gateway.publisher.declare();
  return {
    gateway,
    port,
    queue: gateway.publisher.queue,
    registry,
    broker,
    async stop() {
      await gateway.stop();
      await deleteQueue(gateway.publisher.queue);
      await deleteQueue(`${gateway.publisher.queue}.dead`);
      await broker.close();
    },
  };
}

export async function deleteQueue(queue: string): Promise<void> {
  const conn = await amqp.connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    await ch.deleteQueue(queue);
  } finally {
    await conn.close();
  }
}

export interface QueuedUpdate {
  body: Record<string, unknown> & { idempotency_key: string; type: string; payload: Record<string, unknown> };
  properties: amqp.MessageProperties;
}

/** Reads everything on `queue` (acking it), waiting until `min` messages arrived or `timeoutMs` passed. */
export async function readQueue(queue: string, min: number, timeoutMs = 5000): Promise<QueuedUpdate[]> {
  const conn = await amqp.connect(AMQP_URL);
  const out: QueuedUpdate[] = [];
  try {
    const ch = await conn.createChannel();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await ch.get(queue, { noAck: true });
      if (m) {
        out.push({ body: JSON.parse(m.content.toString()) as QueuedUpdate['body'], properties: m.properties });
        continue;
      }
      if (out.length >= min || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // a short settle so "nothing else" is checked too
    await new Promise((r) => setTimeout(r, 200));
    for (let m = await ch.get(queue, { noAck: true }); m; m = await ch.get(queue, { noAck: true })) {
      out.push({ body: JSON.parse(m.content.toString()) as QueuedUpdate['body'], properties: m.properties });
    }
  } finally {
    await conn.close();
  }
  return out;
}

let clientCtors: Record<string, grpc.ServiceClientConstructor> | undefined;
export function clientFor(family: Family, port: number, credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(), options: grpc.ChannelOptions = {}): grpc.Client {
  if (!clientCtors) {
    const pkg = grpc.loadPackageDefinition(loadSync(PROTO_FILES, LOADER_OPTIONS)) as unknown as { logistics: { device: { v1: Record<string, grpc.ServiceClientConstructor> } } };
    clientCtors = pkg.logistics.device.v1;
  }
  const Ctor = clientCtors[SERVICE_NAMES[family]] as grpc.ServiceClientConstructor;
  return new Ctor(`127.0.0.1:${port}`, credentials, { 'grpc.max_send_message_length': 64 * 1024 * 1024, ...options });
}

export type GatewayMsg = Record<string, unknown> & { kind?: string };

/** A raw adapter stream for tests: records what the gateway answers, ends with its status. */
export class TestStream {
  readonly received: GatewayMsg[] = [];
  status: grpc.StatusObject | undefined;
  private readonly waiters: Array<() => void> = [];
  readonly call: grpc.ClientDuplexStream<unknown, GatewayMsg>;

  constructor(client: grpc.Client, token: string | undefined) {
    const md = new grpc.Metadata();
    if (token !== undefined) md.set('authorization', `Bearer ${token}`);
    const method = (client as unknown as { Connect: (md: grpc.Metadata) => grpc.ClientDuplexStream<unknown, GatewayMsg> }).Connect.bind(client);
    this.call = method(md);
    this.call.on('data', (m: GatewayMsg) => {
      this.received.push(m);
      this.notify();
    });
    this.call.on('status', (s: grpc.StatusObject) => {
      this.status = s;
      this.notify();
    });
    this.call.on('error', () => this.notify());
  }

  send(msg: unknown): boolean {
    return this.call.write(msg);
  }

  /** Waits until `pred` holds over what was received (or the call ended). */
  async until(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out; received ${this.received.length} messages, status ${this.status?.code}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  answers(): Array<{ seq: number; kind: 'ack' | 'reject'; msg: Record<string, unknown> }> {
    const out: Array<{ seq: number; kind: 'ack' | 'reject'; msg: Record<string, unknown> }> = [];
    for (const m of this.received) {
      if (m.kind === 'ack' || m.kind === 'reject') {
        const body = m[m.kind] as Record<string, unknown>;
        out.push({ seq: Number(body.sequence), kind: m.kind, msg: body });
      }
    }
    return out;
  }

  helloAck(): Record<string, unknown> | undefined {
    const m = this.received.find((r) => r.kind === 'hello_ack');
    return m?.hello_ack as Record<string, unknown> | undefined;
  }

  async ended(timeoutMs = 10_000): Promise<grpc.StatusObject> {
    await this.until(() => this.status !== undefined, timeoutMs);
    return this.status as grpc.StatusObject;
  }

  close(): void {
    this.call.end();
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

const FAMILY_ENUM: Record<Family, string> = { barcode: 'FAMILY_BARCODE', sorter: 'FAMILY_SORTER', robot_fleet: 'FAMILY_ROBOT_FLEET' };
export function hello(adapterId: string, family: Family, streamId = adapterId): unknown {
  return { hello: { adapter_id: adapterId, family: FAMILY_ENUM[family], stream_id: streamId, vendor: 'test' } };
}

export function envelope(adapterId: string, deviceId: string, sequence: number, key = `${adapterId}:${deviceId}:${sequence}`): Record<string, unknown> {
  return { adapter_id: adapterId, device_id: deviceId, sequence: String(sequence), idempotency_key: key, correlation_id: `corr-${sequence}`, event_time_ms: String(1_767_225_600_000 + sequence) };
}

/** A valid SSCC from a 17-digit body. */
export function sscc(body17: string): string {
  return `${body17}${gs1CheckDigit(body17)}`;
}

export function parcelSortedUpdate(adapterId: string, deviceId: string, seq: number, chute = 'C1'): unknown {
  return { update: { envelope: envelope(adapterId, deviceId, seq), parcel_sorted: { sscc: sscc(String(100000000000000000n + BigInt(seq)).slice(1)), chute, lane: 'L1', picking: { name: 'WH/OUT/00012' } } } };
}
