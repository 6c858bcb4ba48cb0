import { ACK, Consumer, deadLetter, declarePartnerExchange, partnerIngressQueue, PublishError, REQUEUE, type ConsumerSource, type Delivery, type Outcome, type UpdatePublisher } from '../broker';
import { backoffDelay, sleep } from '../retry';
import type { Service } from '../lifecycle';
import type { Logger } from '../telemetry';
import type { PartnerDirectory } from './directory';
import { partnerUpdate } from './ingest';

/** Headers a refused partner message carries in the dead-letter queue, besides `x-reject-reason`. */
export const PARTNER_DEAD_LETTER_HEADERS = { path: 'x-field-path', status: 'x-reject-status' } as const;

export interface PartnerAmqpDoorOptions {
  source: ConsumerSource;
  directory: PartnerDirectory;
  /** The shared update publisher, in mode `wait` (a message stays unacked until it is durable). */
  publisher: UpdatePublisher;
  log: Logger;
  /** Test names; default the documented `logistics.partner.updates` exchange and queue. */
  exchange?: string;
  queue?: string;
  prefetch?: number;
  /** Called each time the door consumes (after the first connect and every reconnect). */
  onConsuming?: () => void;
}

/**
 * The partner AMQP door (Flow 4, docs/partners.md): partners publish one update per message to the
 * exchange `logistics.partner.updates` (routing key = update type), with `user_id` set to their
 * RabbitMQ user (RabbitMQ refuses a user_id that is not the publishing connection's user, so it names
 * the partner reliably). Each message is validated as the HTTP door validates an item, then forwarded
 * to `logistics.updates` with confirms and only then acked; a refused message goes to
 * `logistics.partner.updates.dead` with the reason and the field path in its headers. The messages
 * around a bad one are handled on their own: nothing is lost, nothing waits for it.
 */
export class PartnerAmqpDoor implements Service {
  readonly name = 'partner-amqp-door';
  private readonly consumer: Consumer;

  constructor(private readonly opts: PartnerAmqpDoorOptions) {
    const exchange = opts.exchange;
    this.consumer = new Consumer(opts.source, (d, signal) => this.handle(d, signal), {
      queue: partnerIngressQueue(opts.queue, exchange),
      prefetch: opts.prefetch ?? 256,
      log: opts.log,
      setup: (ch) => declarePartnerExchange(ch, exchange),
      onConsuming: opts.onConsuming,
    });
  }

  get queue(): string {
    return this.consumer.queue;
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.publisher.declare().catch(() => undefined); // logistics.updates exists before the first forward
    await this.consumer.run(signal);
    await this.opts.publisher.close();
  }

  /** Pure but for the publish: what to do with one partner message. */
  private async handle(d: Delivery, signal: AbortSignal): Promise<Outcome> {
    const user = d.properties.userId as string | undefined;
    const partner = this.opts.directory.byAmqpUser(user);
    if (!partner) {
      return deadLetter(user ? `RabbitMQ user ${user} is no partner of the amqp route` : 'user_id is required: set it to your RabbitMQ user', { [PARTNER_DEAD_LETTER_HEADERS.path]: 'properties.user_id', [PARTNER_DEAD_LETTER_HEADERS.status]: 403 });
    }
    let json: unknown;
    try {
      json = JSON.parse(d.content.toString('utf8'));
    } catch {
      return deadLetter('the body is not JSON', { [PARTNER_DEAD_LETTER_HEADERS.path]: '(body)', [PARTNER_DEAD_LETTER_HEADERS.status]: 400 });
    }
    const r = partnerUpdate(partner, json);
    if (!r.ok) return deadLetter(`${r.path}: ${r.message}`, { [PARTNER_DEAD_LETTER_HEADERS.path]: r.path, [PARTNER_DEAD_LETTER_HEADERS.status]: r.status });
    const update = r.updates[0]!;
    const stop = AbortSignal.any([d.lost, signal]);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.opts.publisher.publish(update, { sequence: 0, eventTimeMs: Date.parse(update.event_time) }, stop);
        return ACK;
      } catch (err) {
        // Not durable yet: the message stays unacked here (or RabbitMQ has it again once the channel is gone).
        if (stop.aborted) return REQUEUE;
        const delay = backoffDelay(attempt, { baseMs: 200, maxMs: 5_000 });
        this.opts.log.warn('partner update not forwarded yet; retrying', { partner: partner.id, key: update.idempotency_key, error: err instanceof PublishError ? err.message : String(err), retryInMs: delay });
        await sleep(delay, stop).catch(() => undefined);
        if (stop.aborted) return REQUEUE;
      }
    }
  }
}
