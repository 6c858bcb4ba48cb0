import type { Channel } from 'amqplib';
import { Gauge, type Registry } from 'prom-client';
import type { Service } from '../lifecycle';
import { sleep } from '../retry';
import type { Logger } from '../telemetry';
import { abortable } from './abortable';
import type { ConsumerSource } from './consumer';

export interface DeadLetterDepthOptions {
  source: Pick<ConsumerSource, 'createChannel'>;
  /** The parking queues watched (`<queue>.dead`). */
  queues: readonly string[];
  registry: Registry;
  log: Logger;
  /** Period of the reads (default 30 s); a scrape never waits for the broker. */
  intervalMs?: number;
}

/**
 * The depth of the bridge's dead-letter queues, `logistics_bridge_dead_letters{queue}`, read with a
 * passive declare (`checkQueue`, which moves nothing) every `intervalMs` rather than at scrape time, so
 * that a scrape answers at once while the broker is away (the values then are the last ones read, and
 * `logistics_bridge_broker_connected` says why). A queue not declared yet holds nothing: 0.
 */
export class DeadLetterDepth implements Service {
  readonly name = 'dead-letter-depth';
  readonly gauge: Gauge<'queue'>;

  constructor(private readonly opts: DeadLetterDepthOptions) {
    this.gauge = new Gauge({
      name: 'logistics_bridge_dead_letters',
      help: 'Messages waiting in a dead-letter queue of the bridge (logistics-bridge dead list|replay), by queue',
      labelNames: ['queue'],
      registers: [opts.registry],
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.read(signal);
      } catch (err) {
        if (signal.aborted) return;
        this.opts.log.warn('cannot read the dead-letter queue depths', { error: err instanceof Error ? err.message : String(err) });
      }
      await sleep(this.opts.intervalMs ?? 30_000, signal).catch(() => undefined);
    }
  }

  /** One read of every queue; resolves once the gauge holds them. */
  async read(signal?: AbortSignal): Promise<void> {
    let channel: Channel | undefined;
    try {
      for (const queue of this.opts.queues) {
        channel ??= await this.channel(signal);
        try {
          this.gauge.set({ queue }, (await channel.checkQueue(queue)).messageCount);
        } catch (err) {
          // 404: not declared yet (the broker closed the channel; the next queue gets a new one).
          if ((err as { code?: number }).code !== 404) throw err;
          this.gauge.set({ queue }, 0);
          channel = undefined;
        }
      }
    } finally {
      await channel?.close().catch(() => undefined);
    }
  }

  private async channel(signal?: AbortSignal): Promise<Channel> {
    const channel = await abortable(this.opts.source.createChannel(), signal, () => new Error('aborted'));
    channel.on('error', () => undefined); // a 404 also rejects its checkQueue, handled there
    return channel;
  }
}
