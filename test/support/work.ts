/**
 * Test helpers for Flow 3 (work for devices): a "work node" wired as sidecar/src/main.ts wires the
 * gateway and the work services (router, voids feed, dispatcher) on a test's own topology, adapters that
 * record the work they get and answer work_ack, and publishing events as the relay does.
 */
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { FAMILIES, type Family } from '@logistics-bridge/contract';
import { poolNames, type TopologyNames } from '../../sidecar/src/broker';
import { VoidFeed, VoidSet, WorkDispatcher, WorkRouter } from '../../sidecar/src/work';
import { createLogger } from '../../sidecar/src/telemetry';
import { AMQP_URL } from './env';
import { clientFor, startGateway, TestStream, tokenOf, type GatewayFixture, type GatewayMsg } from './gateway';

export function workTopology(): TopologyNames {
  const suffix = randomBytes(4).toString('hex');
  return { events: `test.work.${suffix}.events`, unroutableExchange: `test.work.${suffix}.unroutable`, unroutableQueue: `test.work.${suffix}.unroutable` };
}

export interface WorkNode {
  fx: GatewayFixture;
  port: number;
  router: WorkRouter;
  stop(): Promise<void>;
}

/** Gateway + work router + voids feed + dispatcher, as main.ts wires them. */
export async function startWorkNode(topology: TopologyNames): Promise<WorkNode> {
  const fx = await startGateway();
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'error');
  const voids = new VoidSet();
  const router = new WorkRouter({ source: fx.broker.model, log, topology, queue: `${topology.events}.device-work` });
  const feed = new VoidFeed({ source: fx.broker.model, log, voids, topology });
  const dispatcher = new WorkDispatcher({ source: fx.broker.model, sessions: () => fx.gateway.liveSessions(), voids, metrics: fx.gateway.metrics, log, topology });
  fx.gateway.onWorkAck((s, a) => dispatcher.ack(s, a));
  const stop = new AbortController();
  const running = Promise.all([router.run(stop.signal), feed.run(stop.signal), dispatcher.run(stop.signal)]);
  return {
    fx,
    port: fx.port,
    router,
    async stop() {
      stop.abort();
      await running;
      await fx.stop();
    },
  };
}

/** Deletes every exchange and queue of `topology` (pools of `warehouses`, their dead letters, the voids stream). */
export async function deleteWorkTopology(topology: TopologyNames, warehouses: readonly string[]): Promise<void> {
  const conn = await amqp.connect(AMQP_URL);
  const ch = await conn.createChannel();
  const queues = [`${topology.events}.device-work`, `${topology.events}.device-work.dead`, `${topology.events}.work.voids`, topology.unroutableQueue];
  const exchanges = [topology.events, topology.unroutableExchange];
  for (const family of FAMILIES) {
    for (const wh of ['', ...warehouses]) {
      const p = poolNames(topology, family, wh);
      queues.push(p.queue, `${p.queue}.dead`);
      exchanges.push(p.exchange, p.anyExchange);
    }
  }
  for (const q of queues) await ch.deleteQueue(q).catch(() => undefined);
  for (const e of new Set(exchanges)) await ch.deleteExchange(e).catch(() => undefined);
  await conn.close();
}

/** Publishes events to the topology's events exchange as the relay does (messageId, type = routing key, persistent, confirmed). */
export async function publishEvents(topology: TopologyNames, events: ReadonlyArray<{ type: string; id: string; body: unknown }>): Promise<void> {
  const conn = await amqp.connect(AMQP_URL);
  const ch = await conn.createConfirmChannel();
  for (const e of events) ch.publish(topology.events, e.type, Buffer.from(JSON.stringify(e.body)), { messageId: e.id, correlationId: `corr-${e.id}`, type: e.type, persistent: true });
  await ch.waitForConfirms();
  await conn.close();
}

/** Waits until `queue` has at least `consumers` consumers. */
export async function consumed(queue: string, consumers = 1): Promise<void> {
  const conn = await amqp.connect(AMQP_URL);
  try {
    for (let i = 0; i < 300; i++) {
      const probe = await conn.createChannel();
      probe.on('error', () => undefined);
      const ok = await probe.checkQueue(queue).then(
        (q) => q.consumerCount >= consumers,
        () => false,
      );
      await probe.close().catch(() => undefined);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`nobody consumes ${queue}`);
  } finally {
    await conn.close();
  }
}

/** Waits until the router consumes its queue (so events published now are routed, not unroutable). */
export function routerReady(topology: TopologyNames): Promise<void> {
  return consumed(`${topology.events}.device-work`);
}

/**
 * Waits until a dispatcher consumes the pool of `family` and `warehouse` (`consumers` of them): the
 * first adapter of a warehouse ever creates its pool's binding, and work published before goes to the
 * family's general pool (docs/broker.md, "Work pools").
 */
export function poolReady(topology: TopologyNames, family: Family, warehouse: string, consumers = 1): Promise<void> {
  return consumed(poolNames(topology, family, warehouse).queue, consumers);
}

/** Messages waiting (ready, not unacked) in a queue. */
export async function queueDepth(queue: string): Promise<number> {
  const conn = await amqp.connect(AMQP_URL);
  const ch = await conn.createChannel();
  ch.on('error', () => undefined);
  const n = await ch.checkQueue(queue).then(
    (q) => q.messageCount,
    () => -1,
  );
  await conn.close().catch(() => undefined);
  return n;
}

export function readyEvent(pickingId: number, warehouse = 'WH', direction = 'outbound'): Record<string, unknown> {
  return {
    shipment: { id: pickingId, name: `${warehouse}/OUT/${pickingId}`, direction, warehouse: { code: warehouse }, sort_destination: { chute: 'C-1', lane: 'L1', rule: 'test' } },
    lines: [{ product: { id: 7, barcode: '4006381333931', default_code: 'SKU-7', name: 'Widget' }, quantity: 1, location: { id: 8, barcode: 'A-01' } }],
  };
}

export function withdrawnEvent(pickingId: number, voids: string[], reason = 'cancelled', warehouse = 'WH', direction = 'outbound'): Record<string, unknown> {
  return { shipment: { id: pickingId, name: `${warehouse}/OUT/${pickingId}`, direction, warehouse: { code: warehouse } }, reason, voids };
}

const FAMILY_ENUM: Record<Family, string> = { barcode: 'FAMILY_BARCODE', sorter: 'FAMILY_SORTER', robot_fleet: 'FAMILY_ROBOT_FLEET' };
const CAPABILITY: Record<Family, string> = { barcode: 'work.expected_scans', sorter: 'work.sort_plan', robot_fleet: 'work.robot_order' };
const ADAPTER: Record<Family, string> = { barcode: 'scan-a', sorter: 'sorter-a', robot_fleet: 'fleet-a' };

/** The work oneof case and its header's work id of a gateway message, if it is work. */
export function workOf(m: GatewayMsg): { kind: string; workId: string } | undefined {
  if (m.kind !== 'work') return undefined;
  const w = m.work as Record<string, unknown>;
  const kind = String(w.work);
  const body = w[kind] as { header?: { work_id?: string } };
  return { kind, workId: String(body.header?.work_id ?? '') };
}

/**
 * One adapter stream of a family: records each work (and withdrawal) it gets and, with `ack`, answers
 * each with work_ack ACCEPTED (after `ackDelayMs`). `received` keeps every delivery over reconnects.
 */
export class WorkAdapter {
  stream: TestStream | undefined;
  readonly received: Array<{ kind: string; workId: string; via: number }> = [];
  readonly acked: Array<{ kind: string; workId: string; via: number }> = [];
  ack = true;
  ackDelayMs = 0;

  constructor(
    readonly family: Family,
    readonly streamId: string,
    readonly warehouse = 'WH',
  ) {}

  connect(port: number): TestStream {
    const s = new TestStream(clientFor(this.family, port), tokenOf(ADAPTER[this.family]));
    this.stream = s;
    const cursor = { seen: 0 }; // per stream: a closed stream's late messages must not move the new one's
    s.send({ hello: { adapter_id: ADAPTER[this.family], family: FAMILY_ENUM[this.family], stream_id: this.streamId, capabilities: [CAPABILITY[this.family]], warehouse: this.warehouse } });
    s.call.on('data', () => this.poll(s, port, cursor));
    return s;
  }

  private poll(s: TestStream, port: number, cursor: { seen: number }): void {
    for (; cursor.seen < s.received.length; cursor.seen++) {
      const w = workOf(s.received[cursor.seen] as GatewayMsg);
      if (!w) continue;
      const entry = { ...w, via: port };
      this.received.push(entry);
      if (!this.ack) continue;
      const send = () => {
        if (s !== this.stream || s.status) return;
        s.send({ work_ack: { work_id: w.workId, outcome: 'OUTCOME_ACCEPTED', reason: '' } });
        this.acked.push(entry);
      };
      if (this.ackDelayMs) setTimeout(send, this.ackDelayMs);
      else send();
    }
  }

  /** Ends the stream abruptly (as a dropped connection), without answering what it holds. */
  drop(): void {
    const s = this.stream;
    this.stream = undefined;
    s?.call.cancel();
  }

  close(): void {
    const s = this.stream;
    this.stream = undefined;
    s?.close();
  }

  async until(pred: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out: ${this.family} ${this.streamId} received ${this.received.length}, acked ${this.acked.length}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  ackedIds(kind?: string): string[] {
    return this.acked.filter((a) => !kind || a.kind === kind).map((a) => a.workId);
  }
}

export function counts(ids: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
}
