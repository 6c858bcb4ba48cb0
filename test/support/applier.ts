import { Writable } from 'node:stream';
import type { Channel, GetMessage } from 'amqplib';
import { Registry } from 'prom-client';
import { Broker, updatesQueue } from '../../sidecar/src/broker';
import type { ErpUpdate } from '@logistics-bridge/contract';
import { Applier, ApplierMetrics, DeadLetterRecorder, type ApplierOptions } from '../../sidecar/src/inbound';
import { OdooClient } from '../../sidecar/src/odoo';
import { createLogger, type Logger } from '../../sidecar/src/telemetry';
import { AMQP_URL } from './env';

/** An applier on its own queues (`<prefix>logistics.updates` and `.dead`), as tests and the bench run it. */
export interface RunningApplier {
  applier: Applier;
  /** Records the dead letters in Odoo's list, as the sidecar does. */
  recorder: DeadLetterRecorder;
  metrics: ApplierMetrics;
  registry: Registry;
  queue: string;
  deadQueue: string;
  odoo: OdooClient;
  /** Aborts and waits for the drain, then closes the connections. */
  stop(): Promise<void>;
}

export const silentLog = (): Logger => createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));

export async function startApplier(
  target: { url: string; db: string; service: { login: string; secret: string } },
  prefix: string,
  opts: Partial<Pick<ApplierOptions, 'batchSize' | 'lingerMs' | 'prefetch' | 'concurrency' | 'retry' | 'batchRetryDelay'>> & { log?: Logger } = {},
): Promise<RunningApplier> {
  const log = opts.log ?? silentLog();
  const registry = new Registry();
  const metrics = new ApplierMetrics(registry);
  const odoo = new OdooClient({ url: target.url, db: target.db, login: target.service.login, secret: target.service.secret, timeoutMs: 60_000 });
  const broker = await Broker.open({ url: AMQP_URL }, log, registry);
  const queue = `${prefix}logistics.updates`;
  const deadQueue = `${prefix}logistics.updates.dead`;
  const recorder = new DeadLetterRecorder(odoo, { log });
  const applier = new Applier(broker, odoo, {
    queue,
    batchSize: opts.batchSize ?? 200,
    lingerMs: opts.lingerMs ?? 20,
    prefetch: opts.prefetch ?? 1000,
    concurrency: opts.concurrency ?? 2,
    retry: opts.retry,
    batchRetryDelay: opts.batchRetryDelay,
    log,
    metrics,
    recorder,
  });
  const controller = new AbortController();
  const running = Promise.all([applier.run(controller.signal), recorder.run(controller.signal)]);
  await applier.ready();
  return {
    applier,
    recorder,
    metrics,
    registry,
    queue,
    deadQueue,
    odoo,
    async stop() {
      controller.abort(new Error('test over'));
      await running;
      await broker.close();
      odoo.close();
    },
  };
}

/** Publishes bodies exactly as the gateway does (properties of docs/gateway.md); a string or Buffer is sent as is. */
export async function publishUpdates(ch: Channel, queue: string, updates: Array<ErpUpdate | string | Buffer>): Promise<void> {
  const spec = updatesQueue(queue);
  await ch.assertQueue(spec.deadLetter?.name ?? `${queue}.dead`, { durable: true, arguments: spec.deadLetter?.arguments });
  await ch.assertQueue(queue, { durable: true, arguments: spec.arguments });
  for (const u of updates) {
    const isUpdate = typeof u === 'object' && !Buffer.isBuffer(u);
    const content = isUpdate ? Buffer.from(JSON.stringify(u)) : Buffer.isBuffer(u) ? u : Buffer.from(u);
    ch.sendToQueue(queue, content, {
      persistent: true,
      contentType: 'application/json',
      messageId: isUpdate ? u.idempotency_key : undefined,
      correlationId: isUpdate ? (u.correlation_id ?? undefined) : undefined,
      type: isUpdate ? u.type : undefined,
      timestamp: Math.floor(Date.now() / 1000),
      appId: 'logistics-bridge-gateway',
      headers: isUpdate ? { 'adapter-id': u.adapter_id, 'device-id': u.device_id, sequence: 0, 'event-time': u.event_time } : {},
    });
  }
  // A confirm-less channel: a round trip that follows the publishes makes sure the broker has them.
  await ch.checkQueue(queue);
}

/** Every message of a queue (taken and acked). */
export async function drainQueue(ch: Channel, queue: string): Promise<GetMessage[]> {
  const out: GetMessage[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (!m) return out;
    out.push(m);
  }
}

export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000, stepMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export function update<T extends ErpUpdate['type']>(key: string, type: T, payload: Extract<ErpUpdate, { type: T }>['payload'], extra: Partial<ErpUpdate> = {}): ErpUpdate {
  return { idempotency_key: key, type, adapter_id: 'test-adapter', device_id: 'dev-1', correlation_id: null, event_time: new Date().toISOString(), payload, ...extra } as ErpUpdate;
}
