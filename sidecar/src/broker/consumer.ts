import type { Channel, ConfirmChannel, ConsumeMessage, MessageFields, MessageProperties } from 'amqplib';
import { backoffDelay, sleep } from '../retry';
import type { Logger } from '../telemetry';
import { abortable, firstOf } from './abortable';
import { ConfirmPublisher } from './publisher';
import { declareQueue, type QueueSpec } from './topology';

/**
 * What a handler answers for one delivery (as node-rabbitmq-client's `ConsumerStatus`, plus a
 * dead-letter with a reason):
 * - `ack`: done;
 * - `requeue`: back to the queue (counts against the queue's delivery limit; no loop should use it);
 * - `dead-letter`: a copy with the reason in headers (`DEAD_LETTER_HEADERS`, plus the handler's own) is
 *   published to the queue's dead-letter queue through a confirm publisher, then the delivery is acked;
 *   if that publish fails the delivery is requeued, so nothing is lost;
 * - `release`: left unsettled: RabbitMQ takes it back when the consumer's channel closes (for a handler
 *   whose consumer is stopping: unlike `requeue` it is not a failed delivery, but on a quorum queue it
 *   still counts as a delivery, see `QueueSpec.deliveries`);
 * - `drop`: rejected without requeue: RabbitMQ dead-letters it through the queue's own dead-letter
 *   exchange (`x-death` reason `rejected`, no reason of ours), or discards it if the queue has none.
 */
export type Outcome = { kind: 'ack' } | { kind: 'requeue' } | { kind: 'release' } | { kind: 'dead-letter'; reason: string; headers?: Record<string, string | number> } | { kind: 'drop' };

export const ACK: Extract<Outcome, { kind: 'ack' }> = { kind: 'ack' };
export const REQUEUE: Extract<Outcome, { kind: 'requeue' }> = { kind: 'requeue' };
export const DROP: Extract<Outcome, { kind: 'drop' }> = { kind: 'drop' };
export const RELEASE: Extract<Outcome, { kind: 'release' }> = { kind: 'release' };
export function deadLetter(reason: string, headers?: Record<string, string | number>): Outcome {
  return { kind: 'dead-letter', reason, headers };
}

/** Headers every dead-lettered copy carries on top of the original properties. */
export const DEAD_LETTER_HEADERS = {
  reason: 'x-reject-reason',
  queue: 'x-original-queue',
  at: 'x-dead-lettered-at',
} as const;

export type { MessageProperties };

/** One delivery as a handler sees it. */
export interface Delivery {
  content: Buffer;
  properties: MessageProperties;
  fields: MessageFields;
  /**
   * Aborted when the channel it came on is gone: RabbitMQ delivers it again (to this consumer once it
   * consumes again), and whatever the handler answers for this copy is ignored.
   */
  lost: AbortSignal;
}

/** May take its time (the consumer holds the delivery unacked meanwhile, within `prefetch`). */
export type Handler = (delivery: Delivery, signal: AbortSignal) => Outcome | Promise<Outcome>;

/** Where the consumer gets its channels: the Broker's recovering connection (`broker.model`), which waits while it is down. */
export interface ConsumerSource {
  createChannel(): Promise<Channel>;
  createConfirmChannel(): Promise<ConfirmChannel>;
}

export interface ConsumerOptions {
  /** The queue consumed, declared (with its dead-letter queue and bindings) before every consume. */
  queue: QueueSpec;
  /** Unacked deliveries the broker hands this consumer at once. */
  prefetch: number;
  log: Logger;
  /** Runs on every new channel before the queue is declared (e.g. `declareTopology` for the exchange it binds to). */
  setup?: (channel: Channel) => Promise<void>;
  /** Arguments of basic.consume (e.g. `x-stream-offset` on a stream). */
  consumeArguments?: Record<string, string | number>;
  /** Called each time the consumer is registered with RabbitMQ (after the first connect and every reconnect). */
  onConsuming?: () => void;
  /** Called once a channel is lost, after its deliveries' `lost` signals were aborted. */
  onChannelLost?: () => void;
  /** Called after each outcome was carried out (`done` false: the channel was lost first, or the dead-letter publish failed). */
  onSettled?: (outcome: Outcome, done: boolean) => void;
}

interface Attached {
  channel: Channel;
  lost: AbortController;
  /** Its deliveries handed to the handler and not settled yet. */
  inFlight: Set<Promise<void>>;
}

/**
 * One consumer on its own channel, following node-rabbitmq-client's `Consumer`: declares its queue,
 * sets the prefetch, consumes, and when the channel or the connection is lost consumes again on a new
 * channel (after the Broker reconnects), with backoff while that fails. Each delivery's outcome is what
 * its handler answers, carried out on the channel it came on.
 *
 * On abort: deliveries arriving after it are not handed to the handler (closing the channel returns
 * them), the handlers in flight are awaited and their outcomes carried out, then a round trip on the
 * channel and the close. There is no basic.cancel: on a quorum queue (seen on RabbitMQ 3.10) acks sent
 * after a cancel for deliveries of the cancelled consumer were partly returned to the queue; and without
 * the round trip the last acks, sent just before the close, were sometimes not honoured.
 */
export class Consumer {
  private current: Attached | undefined;
  private draining = false;
  private deadLetters: ConfirmPublisher | undefined;

  constructor(
    private readonly source: ConsumerSource,
    private readonly handler: Handler,
    private readonly opts: ConsumerOptions,
  ) {}

  get queue(): string {
    return this.opts.queue.name;
  }

  /** Deliveries of the current channel handed to the handler and not settled yet. */
  get unsettled(): number {
    return this.current?.inFlight.size ?? 0;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { log } = this.opts;
    for (let attempt = 0; !signal.aborted; ) {
      try {
        const attached = await this.attach(signal);
        attempt = 0;
        await closedOrAborted(attached.channel, signal);
        if (signal.aborted) break;
        this.lose(attached);
        log.warn('consumer channel lost; consuming again once RabbitMQ is back, the unsettled deliveries come back', { queue: this.queue });
      } catch (err) {
        if (signal.aborted) break;
        const delay = backoffDelay(attempt++, { baseMs: 200, maxMs: 10_000 });
        log.warn('cannot consume; retrying', { queue: this.queue, error: err instanceof Error ? err.message : String(err), retryInMs: delay });
        await sleep(delay, signal).catch(() => undefined);
      }
    }
    await this.drain();
  }

  private async attach(signal: AbortSignal): Promise<Attached> {
    const channel = await abortable(this.source.createChannel(), signal, () => new Error('aborted'));
    const attached: Attached = { channel, lost: new AbortController(), inFlight: new Set() };
    channel.on('error', (err: Error) => this.opts.log.warn('consumer channel error', { queue: this.queue, error: err.message }));
    try {
      await this.opts.setup?.(channel);
      await declareQueue(this.source, this.opts.queue, this.opts.log);
      await channel.prefetch(this.opts.prefetch);
      if (signal.aborted) throw new Error('aborted');
      this.current = attached;
      await channel.consume(this.queue, (msg) => this.onMessage(attached, msg, signal), { noAck: false, ...(this.opts.consumeArguments ? { arguments: this.opts.consumeArguments } : {}) });
    } catch (err) {
      if (this.current === attached) this.current = undefined;
      await channel.close().catch(() => undefined);
      throw err;
    }
    this.opts.log.info('consuming', { queue: this.queue, prefetch: this.opts.prefetch });
    this.opts.onConsuming?.();
    return attached;
  }

  /** A lost channel's deliveries are RabbitMQ's again: their handlers are no longer waited for. */
  private lose(attached: Attached): void {
    if (this.current === attached) this.current = undefined;
    attached.inFlight.clear();
    attached.lost.abort(new Error('channel lost'));
    this.opts.onChannelLost?.();
  }

  private onMessage(attached: Attached, msg: ConsumeMessage | null, signal: AbortSignal): void {
    if (!msg) {
      // basic.cancel from the broker (queue deleted): a new channel declares the queue and consumes again.
      this.opts.log.error('RabbitMQ cancelled the consumer (queue deleted?); consuming again', { queue: this.queue });
      attached.channel.close().catch(() => undefined);
      return;
    }
    if (this.draining || signal.aborted || attached.lost.signal.aborted) return; // returned by the close
    const delivery: Delivery = { content: msg.content, properties: msg.properties, fields: msg.fields, lost: attached.lost.signal };
    const settled: Promise<void> = Promise.resolve()
      .then(() => this.handler(delivery, signal))
      .then(
        (outcome) => this.settle(attached, msg, outcome),
        (err: unknown) => {
          this.opts.log.error('consumer handler failed; delivery requeued', { queue: this.queue, messageId: msg.properties.messageId, error: err instanceof Error ? err.message : String(err) });
          return this.settle(attached, msg, REQUEUE);
        },
      )
      .finally(() => attached.inFlight.delete(settled));
    attached.inFlight.add(settled);
  }

  private async settle(attached: Attached, msg: ConsumeMessage, outcome: Outcome): Promise<void> {
    let done = false;
    if (!attached.lost.signal.aborted) {
      if (outcome.kind === 'dead-letter') done = await this.publishDeadLetter(attached, msg, outcome);
      else if (outcome.kind === 'release') done = true;
      else done = settleOn(attached.channel, msg, outcome);
    }
    this.opts.onSettled?.(outcome, done);
  }

  /** Publishes the dead-letter copy (waiting for its confirm, honouring back-pressure), then acks. */
  private async publishDeadLetter(attached: Attached, msg: ConsumeMessage, outcome: Extract<Outcome, { kind: 'dead-letter' }>): Promise<boolean> {
    const target = this.opts.queue.deadLetter;
    if (!target) {
      this.opts.log.error('a handler dead-lettered a delivery of a queue without a dead-letter queue; requeued', { queue: this.queue });
      settleOn(attached.channel, msg, REQUEUE);
      return false;
    }
    this.deadLetters ??= new ConfirmPublisher(this.source, { window: Math.max(1, this.opts.prefetch), mode: 'wait', log: this.opts.log });
    const p = msg.properties;
    try {
      await this.deadLetters.publish(
        {
          exchange: '',
          routingKey: target.name,
          content: msg.content,
          options: {
            persistent: true,
            contentType: p.contentType as string | undefined,
            contentEncoding: p.contentEncoding as string | undefined,
            correlationId: p.correlationId as string | undefined,
            messageId: p.messageId as string | undefined,
            type: p.type as string | undefined,
            timestamp: p.timestamp as number | undefined,
            appId: p.appId as string | undefined,
            headers: {
              ...(p.headers ?? {}),
              ...outcome.headers,
              [DEAD_LETTER_HEADERS.reason]: outcome.reason.slice(0, 2000),
              [DEAD_LETTER_HEADERS.queue]: this.queue,
              [DEAD_LETTER_HEADERS.at]: new Date().toISOString(),
            },
          },
        },
        // Once the original's channel is gone RabbitMQ delivers it again: no copy is needed.
        attached.lost.signal,
      );
    } catch (err) {
      this.opts.log.warn('cannot dead-letter a delivery; requeued, RabbitMQ delivers it again', { queue: this.queue, messageId: p.messageId, error: err instanceof Error ? err.message : String(err) });
      settleOn(attached.channel, msg, REQUEUE);
      return false;
    }
    return settleOn(attached.channel, msg, ACK);
  }

  private async drain(): Promise<void> {
    this.draining = true;
    const attached = this.current;
    this.current = undefined;
    if (attached) {
      await Promise.allSettled([...attached.inFlight]);
      await attached.channel.checkQueue(this.queue).catch(() => undefined);
      await attached.channel.close().catch(() => undefined);
      attached.lost.abort(new Error('consumer stopped'));
    }
    await this.deadLetters?.close();
    this.opts.log.info('consumer stopped', { queue: this.queue });
  }
}

/** Carries out ack / requeue / drop; false when the channel closed meanwhile (RabbitMQ redelivers). */
function settleOn(channel: Channel, msg: ConsumeMessage, outcome: Exclude<Outcome, { kind: 'dead-letter' } | { kind: 'release' }>): boolean {
  try {
    if (outcome.kind === 'ack') channel.ack(msg);
    else channel.nack(msg, false, outcome.kind === 'requeue');
    return true;
  } catch {
    return false;
  }
}

function closedOrAborted(channel: Channel, signal: AbortSignal): Promise<void> {
  return firstOf(channel, ['close'], signal);
}
