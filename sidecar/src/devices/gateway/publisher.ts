import { ConfirmPublisher, declareQueue, PublishError, updatesQueue, type ChannelSource, type ConfirmChannelSource, type PublishRequest } from '../../broker';
import type { Logger } from '../../telemetry';
import type { ErpUpdate } from '@logistics-bridge/contract';
import { Unavailable } from './errors';

/** Where the gateway's channels come from: the Broker's recovering connection (`broker.model`). */
export type UpdatesSource = ConfirmChannelSource & ChannelSource;

export interface UpdateMeta {
  sequence: number;
  /** Device event time, Unix ms. */
  eventTimeMs: number;
}

/**
 * The ERP update message for `update` (pure). Message contract (docs/gateway.md): persistent, content
 * type application/json, messageId = idempotency key, correlationId, type = update type, timestamp (s),
 * appId, headers `adapter-id`, `device-id`, `sequence`, `event-time` (ISO 8601); body = one update object
 * of Odoo's `logistics.bridge.update.apply_batch`; published to the queue through the default exchange.
 */
export function buildUpdateMessage(queue: string, update: ErpUpdate, meta: UpdateMeta): PublishRequest {
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
      appId: 'logistics-bridge-gateway',
      headers: {
        'adapter-id': update.adapter_id,
        'device-id': update.device_id,
        sequence: meta.sequence,
        'event-time': update.event_time,
      },
    },
  };
}

const WHY: Record<PublishError['kind'], string> = {
  nacked: 'the broker refused the update (nack)',
  'channel-closed': 'the broker connection was lost before the update was confirmed',
  aborted: 'the update was not published',
  unavailable: 'the broker is not available',
};

/**
 * Publishes ERP updates to the durable quorum queue `logistics.updates` through the broker's confirm
 * publisher (mode `refuse`: with no channel open a publish fails at once), within a sliding window of
 * unconfirmed messages. `publish` resolves only once the broker confirmed the message (it is then on
 * disk in a quorum of nodes), and rejects with Unavailable (gRPC UNAVAILABLE) otherwise.
 */
export class UpdatePublisher {
  private readonly publisher: ConfirmPublisher;
  private closed = false;

  constructor(
    source: UpdatesSource,
    private readonly opts: { queue: string; window: number; log: Logger },
  ) {
    const spec = updatesQueue(opts.queue);
    this.publisher = new ConfirmPublisher(source, {
      window: opts.window,
      mode: 'refuse',
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

  async publish(update: ErpUpdate, meta: UpdateMeta): Promise<void> {
    if (this.closed) throw new Unavailable('gateway is shutting down');
    try {
      await this.publisher.publish(buildUpdateMessage(this.opts.queue, update, meta));
    } catch (err) {
      if (err instanceof PublishError) throw new Unavailable(WHY[err.kind]);
      throw err;
    }
  }

  /** Opens the channel and declares the queue now (idempotent); used at start so the applier finds it before traffic. */
  async declare(): Promise<void> {
    try {
      await this.publisher.ready();
    } catch {
      throw new Unavailable(WHY.unavailable);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.publisher.close();
  }
}
