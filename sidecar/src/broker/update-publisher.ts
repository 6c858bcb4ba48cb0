import type { ErpUpdate } from '@logistics-bridge/contract';
import type { Logger } from '../telemetry';
import { ConfirmPublisher, PublishError, type ConfirmChannelSource, type PublisherMode, type PublishRequest } from './publisher';
import { declareQueue, updatesQueue, type ChannelSource } from './topology';

/** Where the update publishers' channels come from: the Broker's recovering connection (`broker.model`). */
export type UpdatesSource = ConfirmChannelSource & ChannelSource;

export interface UpdateMeta {
  /** The sender's sequence number (device streams); 0 where there is none (partners, time-driven updates). */
  sequence: number;
  /** Event time, Unix ms. */
  eventTimeMs: number;
}

/**
 * The ERP update message for `update` (pure). Message contract (docs/gateway.md, docs/partners.md):
 * persistent, content type application/json, messageId = idempotency key, correlationId, type = update
 * type, timestamp (s), appId (who made it durable: the gateway or the partner door), headers
 * `adapter-id`, `device-id`, `sequence`, `event-time` (ISO 8601); body = one update object of Odoo's
 * `logistics.bridge.update.apply_batch`; published to the queue through the default exchange.
 */
export function buildUpdateMessage(queue: string, update: ErpUpdate, meta: UpdateMeta, appId = 'logistics-bridge-gateway'): PublishRequest {
  return {
    exchange: '',
    routingKey: queue,
    content: Buffer.from(JSON.stringify(update)),
    options: {
      persistent: true,
      contentType: 'application/json',
      messageId: update.idempotency_key,
      correlationId: update.correlation_id ?? undefined,
      type: update.type,
      timestamp: Math.floor(Date.now() / 1000),
      appId,
      headers: {
        'adapter-id': update.adapter_id,
        'device-id': update.device_id,
        sequence: meta.sequence,
        'event-time': update.event_time,
      },
    },
  };
}

/** Why an update is not durable, in words an adapter or a partner can act on. */
export const UNDURABLE_REASON: Record<PublishError['kind'], string> = {
  nacked: 'the broker refused the update (nack)',
  'channel-closed': 'the broker connection was lost before the update was confirmed',
  aborted: 'the update was not published',
  unavailable: 'the broker is not available',
};

export interface UpdatePublisherOptions {
  queue: string;
  /** Unconfirmed messages allowed at once. */
  window: number;
  log: Logger;
  /** `appId` of the messages (default logistics-bridge-gateway). */
  appId?: string;
  /** Default `refuse`: with no channel open a publish fails at once (the senders are told to come back). */
  mode?: PublisherMode;
}

/**
 * Publishes ERP updates to the durable quorum queue `logistics.updates` (or a test's own name) through
 * the broker's confirm publisher, within a sliding window of unconfirmed messages; shared by the device
 * gateway and the partner doors. `publish` resolves only once the broker confirmed the message (it is
 * then on disk in a quorum of nodes), and rejects with a `PublishError` whose message is one of
 * `UNDURABLE_REASON` otherwise.
 */
export class UpdatePublisher {
  private readonly publisher: ConfirmPublisher;
  private closed = false;

  constructor(
    source: UpdatesSource,
    private readonly opts: UpdatePublisherOptions,
  ) {
    const spec = updatesQueue(opts.queue);
    this.publisher = new ConfirmPublisher(source, {
      window: opts.window,
      mode: opts.mode ?? 'refuse',
      log: opts.log,
      setup: async () => void (await declareQueue(source, spec, opts.log)),
    });
  }

  get queue(): string {
    return this.opts.queue;
  }

  get unconfirmed(): number {
    return this.publisher.inFlight;
  }

  async publish(update: ErpUpdate, meta: UpdateMeta, signal?: AbortSignal): Promise<void> {
    if (this.closed) throw new PublishError('unavailable', 'shutting down');
    try {
      await this.publisher.publish(buildUpdateMessage(this.opts.queue, update, meta, this.opts.appId), signal);
    } catch (err) {
      if (err instanceof PublishError) throw new PublishError(err.kind, UNDURABLE_REASON[err.kind]);
      throw err;
    }
  }

  /** Opens the channel and declares the queue now (idempotent); used at start so the applier finds it before traffic. */
  async declare(): Promise<void> {
    try {
      await this.publisher.ready();
    } catch {
      throw new PublishError('unavailable', UNDURABLE_REASON.unavailable);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.publisher.close();
  }
}
