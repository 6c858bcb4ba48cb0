import { PublishError, UpdatePublisher as SharedUpdatePublisher, type UpdateMeta, type UpdatesSource } from '../../broker';
import type { Logger } from '../../telemetry';
import type { ErpUpdate } from '@logistics-bridge/contract';
import { Unavailable } from './errors';

export { buildUpdateMessage, type UpdateMeta, type UpdatesSource } from '../../broker';

/**
 * The gateway's face of the shared update publisher (broker/update-publisher.ts, mode `refuse`: with
 * no channel open a publish fails at once): a publish that is not confirmed rejects with Unavailable
 * (gRPC UNAVAILABLE), so the adapter resends after reconnecting rather than its stream hanging.
 */
export class UpdatePublisher extends SharedUpdatePublisher {
  constructor(source: UpdatesSource, opts: { queue: string; window: number; log: Logger }) {
    super(source, { ...opts, appId: 'logistics-bridge-gateway', mode: 'refuse' });
  }

  override async publish(update: ErpUpdate, meta: UpdateMeta): Promise<void> {
    try {
      await super.publish(update, meta);
    } catch (err) {
      throw err instanceof PublishError ? new Unavailable(err.message === 'shutting down' ? 'gateway is shutting down' : err.message) : err;
    }
  }

  override async declare(): Promise<void> {
    try {
      await super.declare();
    } catch (err) {
      throw err instanceof PublishError ? new Unavailable(err.message) : err;
    }
  }
}
