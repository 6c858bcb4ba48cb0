import type { Channel, GetMessage } from 'amqplib';
import type { Logger } from '../telemetry';
import type { ConsumerSource } from './consumer';
import { describeDeadLetter, replayOptions, type DeadLetter } from './dead-letter';
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
  /** Called after a copy was confirmed, before the dead copy is acked (tests interrupt here). */
  onConfirmed?: (d: DeadLetter) => void | Promise<void>;
}

/**
 * An operator's access to a `<queue>.dead` queue: read it without taking anything away, and move chosen
 * messages back to the queue each came from.
 *
 * Reading is `basic.get` without ack on a channel of its own, closed at the end: every message read goes
 * back to the queue in its place (a quorum queue does not count a message returned by a closed channel
 * as a failed delivery, so reading it often never reaches a delivery limit). A replay reads the same way;
 * a selected message is published to the default exchange with its queue's name as routing key through
 * the confirm publisher, and its dead copy is acked only after the broker confirmed the new one. An
 * interruption at any point therefore loses nothing: before the confirm the dead copy stays; between the
 * confirm and the ack both exist, and the consumer dedupes the second on its unchanged messageId.
 */
export class DeadLetterQueue {
  constructor(
    private readonly source: ConsumerSource,
    readonly name: string,
    private readonly log: Logger,
  ) {}

  /** Up to `limit` messages, oldest first; the queue is unchanged afterwards. */
  async list(limit: number): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    await this.read(async (_ch, msg) => {
      out.push(describeDeadLetter(msg.content, msg.properties, this.name));
      return out.length < limit;
    });
    return out;
  }

  async replay(select: (d: DeadLetter) => boolean, opts: ReplayOptions = {}): Promise<ReplayResult> {
    const result: ReplayResult = { moved: 0, kept: 0, failed: 0, targets: {}, errors: [] };
    const publisher = new ConfirmPublisher(this.source, { window: opts.window ?? 256, mode: 'wait', log: this.log });
    const replayedAt = new Date();
    const checked = new Map<string, Promise<void>>();
    const inFlight = new Set<Promise<void>>();
    try {
      await this.read(async (ch, msg) => {
        const d = describeDeadLetter(msg.content, msg.properties, this.name);
        if (!select(d)) {
          result.kept += 1; // held unacked until the channel closes: back in place
          return !opts.signal?.aborted;
        }
        if (!checked.has(d.from)) checked.set(d.from, this.queueExists(d.from));
        const move = (checked.get(d.from) as Promise<void>)
          .then(() => publisher.publish({ exchange: '', routingKey: d.from, content: d.content, options: replayOptions(d, this.name, replayedAt) }))
          .then(async () => {
            await opts.onConfirmed?.(d);
            ch.ack(msg);
            result.moved += 1;
            result.targets[d.from] = (result.targets[d.from] ?? 0) + 1;
          })
          .catch((err: unknown) => {
            result.failed += 1;
            const why = err instanceof PublishError ? `${err.kind}: ${err.message}` : err instanceof Error ? err.message : String(err);
            if (result.errors.length < 20) result.errors.push(`${d.id}: ${why}`);
          })
          .finally(() => inFlight.delete(move));
        inFlight.add(move);
        // The publisher's window holds the pace; wait here too so reading never runs far ahead of it.
        if (inFlight.size >= (opts.window ?? 256)) await Promise.race(inFlight);
        return !opts.signal?.aborted;
      }, async () => {
        await Promise.allSettled([...inFlight]);
      });
    } finally {
      await publisher.close();
    }
    return result;
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

  /**
   * Hands every message (until `each` answers false) to `each`, holding them all unacked; `beforeClose`
   * runs before the channel closes and returns whatever was not acked.
   */
  private async read(each: (ch: Channel, msg: GetMessage) => Promise<boolean>, beforeClose?: () => Promise<void>): Promise<void> {
    const ch = await this.source.createChannel();
    ch.on('error', () => undefined); // every failure here also rejects the call that caused it, with the same message
    try {
      await ch.checkQueue(this.name).catch(() => {
        throw new Error(`queue ${this.name} does not exist on this vhost (nothing was ever dead-lettered, or AMQP_URL names another vhost)`);
      });
      for (;;) {
        const msg = await ch.get(this.name, { noAck: false });
        if (msg === false) break;
        if (!(await each(ch, msg))) break;
      }
      await beforeClose?.();
      // A round trip, so that the last acks are honoured before the close (as the consumer helper does).
      await ch.checkQueue(this.name).catch(() => undefined);
    } finally {
      await ch.close().catch(() => undefined);
    }
  }
}
