import type { Channel, GetMessage } from 'amqplib';
import type { Logger } from '../telemetry';
import type { ConsumerSource } from './consumer';
import { describeDeadLetter, keepOptions, replayOptions, type DeadLetter } from './dead-letter';
import { ConfirmPublisher, PublishError } from './publisher';

export interface ReplayResult {
  /** Confirmed in their queue and removed from the dead-letter queue. */
  moved: number;
  /** Left in the dead-letter queue: not selected. */
  kept: number;
  /** Left in the dead-letter queue: the publish or the removal failed (`errors` says why). */
  failed: number;
  /** Per queue put back into, how many. */
  targets: Record<string, number>;
  errors: string[];
}

export interface ReplayOptions {
  /** Stops reading; what is in flight is confirmed and removed, the rest stays. */
  signal?: AbortSignal;
  /** Unconfirmed copies at once. */
  window?: number;
  /** Called after a replayed copy was confirmed, before the dead copy is acked (tests interrupt here). */
  onConfirmed?: (d: DeadLetter) => void | Promise<void>;
}

const WINDOW = 256;

/**
 * An operator's access to a `<queue>.dead` queue: read it without losing anything, and move chosen
 * messages back to the queue each came from.
 *
 * Every pass takes the messages that are ready (`basic.get`, as many as the queue held when the pass
 * began) and, through the confirm publisher, puts each one somewhere before acking it: a replayed one
 * into its source queue (default exchange, the queue's name as routing key), every other one at the tail
 * of the dead-letter queue itself, unchanged, so after a pass the queue holds what it held, in the same
 * order. Why not just read without ack and let the channel close return them: RabbitMQ 4 counts a message
 * returned that way as a failed delivery, and a quorum queue without a delivery limit of its own (these
 * are: docs/broker.md) drops it after 20 (seen on 4.0.5: gone at the 21st read). The dead copy is acked
 * only after the new one is confirmed, so an interruption loses nothing: before the confirm only the old
 * copy exists, between the confirm and the ack both do, and consumers dedupe the second on its unchanged
 * messageId (a kept one may then be listed twice).
 */
export class DeadLetterQueue {
  constructor(
    private readonly source: ConsumerSource,
    readonly name: string,
    private readonly log: Logger,
  ) {}

  /**
   * The first `limit` messages that `filter` accepts, in queue order, and how many the queue holds;
   * afterwards the queue holds the same messages in the same order.
   */
  async list(limit: number, filter: (d: DeadLetter) => boolean = () => true): Promise<{ letters: DeadLetter[]; total: number }> {
    const letters: DeadLetter[] = [];
    const r = await this.pass(() => false, {}, (d) => {
      if (letters.length < limit && filter(d)) letters.push(d);
    });
    if (r.failed) throw new Error(`could not put ${r.failed} dead letters back in place (they return to ${this.name} when this command ends): ${r.errors[0] ?? ''}`);
    return { letters, total: r.kept };
  }

  async replay(select: (d: DeadLetter) => boolean, opts: ReplayOptions = {}): Promise<ReplayResult> {
    return this.pass(select, opts);
  }

  private async pass(select: (d: DeadLetter) => boolean, opts: ReplayOptions, seen?: (d: DeadLetter) => void): Promise<ReplayResult> {
    const result: ReplayResult = { moved: 0, kept: 0, failed: 0, targets: {}, errors: [] };
    const window = opts.window ?? WINDOW;
    const publisher = new ConfirmPublisher(this.source, { window, mode: 'wait', log: this.log });
    const replayedAt = new Date();
    const checked = new Map<string, Promise<void>>();
    const inFlight = new Set<Promise<void>>();
    const ch = await this.source.createChannel();
    ch.on('error', () => undefined); // every failure here also rejects the call that caused it, with the same message
    try {
      const ready = await ch.checkQueue(this.name).then(
        (q) => q.messageCount,
        () => {
          throw new Error(`queue ${this.name} does not exist on this vhost (nothing was ever dead-lettered, or AMQP_URL names another vhost)`);
        },
      );
      for (let i = 0; i < ready && !opts.signal?.aborted; i++) {
        const msg = await ch.get(this.name, { noAck: false });
        if (msg === false) break;
        const d = describeDeadLetter(msg.content, msg.properties, this.name);
        seen?.(d);
        const move = select(d);
        const put = move ? this.replayOne(d, publisher, checked, replayedAt, opts) : publisher.publish({ exchange: '', routingKey: this.name, content: d.content, options: keepOptions(d) });
        const settled = put
          .then(() => {
            ack(ch, msg);
            if (move) {
              result.moved += 1;
              result.targets[d.from] = (result.targets[d.from] ?? 0) + 1;
            } else result.kept += 1;
          })
          .catch((err: unknown) => {
            result.failed += 1;
            const why = err instanceof PublishError ? `${err.kind}: ${err.message}` : err instanceof Error ? err.message : String(err);
            if (result.errors.length < 20) result.errors.push(`${d.id}: ${why}`);
          })
          .finally(() => inFlight.delete(settled));
        inFlight.add(settled);
        if (inFlight.size >= window) await Promise.race(inFlight);
      }
      await Promise.allSettled([...inFlight]);
      // A round trip, so that the last acks are honoured before the close (as the consumer helper does).
      await ch.checkQueue(this.name).catch(() => undefined);
    } finally {
      await ch.close().catch(() => undefined);
      await publisher.close();
    }
    return result;
  }

  private async replayOne(d: DeadLetter, publisher: ConfirmPublisher, checked: Map<string, Promise<void>>, replayedAt: Date, opts: ReplayOptions): Promise<void> {
    if (!checked.has(d.from)) checked.set(d.from, this.queueExists(d.from));
    await checked.get(d.from);
    await publisher.publish({ exchange: '', routingKey: d.from, content: d.content, options: replayOptions(d, this.name, replayedAt) });
    await opts.onConfirmed?.(d);
  }

  /** A replay never publishes into a queue that does not exist (the default exchange would drop it, confirmed). */
  private async queueExists(queue: string): Promise<void> {
    const ch = await this.source.createChannel();
    ch.on('error', () => undefined);
    try {
      await ch.checkQueue(queue);
    } catch {
      throw new Error(`queue ${queue} does not exist; start the sidecar once (it declares its queues) and replay again`);
    } finally {
      await ch.close().catch(() => undefined);
    }
  }
}

/** Acks on the channel the message came on; throws when that channel is gone (the message comes back). */
function ack(ch: Channel, msg: GetMessage): void {
  ch.ack(msg);
}
