import type { Channel, ConfirmChannel } from 'amqplib';
import type { Logger } from '../../telemetry';
import type { ErpUpdate } from '@logistics-bridge/contract';
import { Unavailable } from './errors';

/** The updates queue the applier consumes. */
export const UPDATES_QUEUE = 'logistics.updates';

/**
 * Declares an updates queue (`logistics.updates`, or a test's own name) idempotently: durable, quorum.
 * The one declaration the gateway (publisher) and the inbound applier (consumer) share; its dead-letter
 * queue `logistics.updates.dead` is declared the same way.
 */
export async function declareUpdatesQueue(ch: Pick<Channel, 'assertQueue'>, queue: string = UPDATES_QUEUE): Promise<void> {
  await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
}

/** Where channels come from: the Broker's recovering connection (`broker.model`), which waits while down. */
export interface ConfirmChannelSource {
  createConfirmChannel(): Promise<ConfirmChannel>;
}

export interface UpdateMeta {
  sequence: number;
  /** Device event time, Unix ms. */
  eventTimeMs: number;
}

/**
 * Publishes ERP updates to the durable quorum queue `logistics.updates` (through the default exchange)
 * on one confirm channel, with a sliding window of unconfirmed messages. `publish` resolves only once
 * the broker confirmed the message (it is then on disk in a quorum of nodes), and rejects with
 * Unavailable on nack or when the channel dies before the confirm.
 *
 * Message contract (documented in docs/gateway.md): persistent, content type application/json,
 * messageId = idempotency key, correlationId, type = update type, timestamp (s), appId, headers
 * `adapter-id`, `device-id`, `sequence`, `event-time` (ISO 8601); body = one update object of Odoo's
 * `logistics.bridge.update.apply_batch`.
 */
export class UpdatePublisher {
  private channel: ConfirmChannel | undefined;
  private opening: Promise<ConfirmChannel> | undefined;
  private drain: Promise<void> | undefined;
  private inFlight = 0;
  private readonly waiters: Array<() => void> = [];
  private readonly pending = new Set<(err: Error) => void>();
  private closed = false;

  constructor(
    private readonly source: ConfirmChannelSource,
    private readonly opts: { queue: string; window: number; log: Logger },
  ) {}

  get queue(): string {
    return this.opts.queue;
  }

  get unconfirmed(): number {
    return this.inFlight;
  }

  async publish(update: ErpUpdate, meta: UpdateMeta): Promise<void> {
    if (this.closed) throw new Unavailable('gateway is shutting down');
    if (this.inFlight >= this.opts.window) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.inFlight++;
    try {
      const ch = this.channel ?? (await this.open());
      if (this.drain) await this.drain;
      if (this.channel !== ch) throw new Unavailable('the broker connection was lost before the update was published');
      await new Promise<void>((resolve, reject) => {
        const fail = (err: Error) => reject(err);
        this.pending.add(fail);
        const ok = ch.publish(
          '',
          this.opts.queue,
          Buffer.from(JSON.stringify(update)),
          {
            persistent: true,
            contentType: 'application/json',
            messageId: update.idempotency_key,
            correlationId: update.correlation_id ?? undefined,
            type: update.type,
            timestamp: Math.floor(Date.now() / 1000),
            appId: 'logistics-bridge-gateway',
            headers: {
              'adapter-id': update.adapter_id,
              'device-id': update.device_id,
              sequence: meta.sequence,
              'event-time': update.event_time,
            },
          },
          (err: unknown) => {
            this.pending.delete(fail);
            if (err) reject(new Unavailable('the broker refused the update (nack)'));
            else resolve();
          },
        );
        if (!ok && !this.drain) {
          // Also on close: a channel that dies while full never drains, and publishes waiting here must
          // then fail (and give their budget back) instead of waiting forever.
          this.drain = new Promise<void>((r) => {
            ch.once('drain', () => r());
            ch.once('close', () => r());
          }).finally(() => (this.drain = undefined));
        }
      });
    } finally {
      this.inFlight--;
      this.waiters.shift()?.();
    }
  }

  /** Declares the queue now (idempotent); used at start so the applier finds it even before traffic. */
  async declare(): Promise<void> {
    await (this.channel ?? this.open());
  }

  async close(): Promise<void> {
    this.closed = true;
    const ch = this.channel;
    this.channel = undefined;
    if (ch) await ch.close().catch(() => undefined);
  }

  private open(): Promise<ConfirmChannel> {
    this.opening ??= (async () => {
      try {
        const ch = await this.source.createConfirmChannel();
        ch.on('error', (err: Error) => this.opts.log.warn('updates channel error', { error: err.message }));
        ch.on('close', () => {
          if (this.channel === ch) this.channel = undefined;
          const failures = [...this.pending];
          this.pending.clear();
          for (const f of failures) f(new Unavailable('the broker connection was lost before the update was confirmed'));
        });
        await declareUpdatesQueue(ch, this.opts.queue);
        this.channel = ch;
        return ch;
      } catch (err) {
        this.opts.log.warn('cannot open the updates channel', { error: err instanceof Error ? err.message : String(err) });
        throw new Unavailable('the broker is not available');
      } finally {
        this.opening = undefined;
      }
    })();
    return this.opening;
  }
}
