/**
 * A fake amqplib connection for unit tests of broker/ and its users: channels are EventEmitters that
 * record what is published, acked and consumed, so a test decides when the broker confirms, when a
 * write fills the socket (`publish` returns false until 'drain') and what is delivered.
 */
import { EventEmitter } from 'node:events';
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';

export interface Published {
  channel: FakeChannel;
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: Record<string, unknown>;
  confirm(err?: Error): void;
  confirmed: boolean;
}

export class FakeWorld {
  readonly channels: FakeChannel[] = [];
  readonly published: Published[] = [];
  readonly settled: Array<{ tag: number; kind: 'ack' | 'nack'; requeue?: boolean }> = [];
  /** Writes allowed before `publish` returns false (the socket buffer is full); Infinity: never full. */
  writesBeforeFull = Infinity;
  /** Writes made while a 'drain' was still owed: must stay 0 for a publisher that honours back-pressure. */
  writesWhileFull = 0;
  private full = false;
  private unconfirmed = 0;
  maxUnconfirmed = 0;
  private tag = 0;

  /** What `broker.model` is to the code under test. */
  readonly model = {
    createChannel: async () => this.open() as unknown as Channel,
    createConfirmChannel: async () => this.open() as unknown as ConfirmChannel,
  };

  /** The old Broker surface (`onConnect`) too, so one fake drives code before and after a refactor. */
  onConnect(setup: (model: unknown) => Promise<void>): void {
    void setup(this.model);
  }

  get consumers(): FakeChannel[] {
    return this.channels.filter((c) => c.onMessage);
  }

  get unconfirmedNow(): number {
    return this.unconfirmed;
  }

  private open(): FakeChannel {
    const ch = new FakeChannel(this);
    this.channels.push(ch);
    return ch;
  }

  /** Ends the full-buffer state: every channel that owes a 'drain' emits it. */
  drain(): void {
    this.full = false;
    this.writesBeforeFull = Infinity;
    for (const c of this.channels) c.emit('drain');
  }

  write(entry: Omit<Published, 'confirm' | 'confirmed'>, cb?: (err: unknown) => void): boolean {
    if (this.full) this.writesWhileFull++;
    this.unconfirmed++;
    this.maxUnconfirmed = Math.max(this.maxUnconfirmed, this.unconfirmed);
    const p: Published = {
      ...entry,
      confirmed: false,
      confirm: (err?: Error) => {
        if (p.confirmed) return;
        p.confirmed = true;
        this.unconfirmed--;
        cb?.(err ?? null);
      },
    };
    this.published.push(p);
    if (this.full) return false;
    if (--this.writesBeforeFull <= 0) {
      this.full = true;
      return false;
    }
    return true;
  }

  /** Confirms every message published and not confirmed yet. */
  confirmAll(): number {
    const open = this.published.filter((p) => !p.confirmed);
    for (const p of open) p.confirm();
    return open.length;
  }

  /** Hands one message to the (latest) consumer. */
  deliver(content: Buffer | string, properties: Record<string, unknown> = {}): number {
    const consumer = this.consumers.at(-1);
    if (!consumer?.onMessage) throw new Error('nobody consumes');
    const deliveryTag = ++this.tag;
    const msg = {
      content: Buffer.isBuffer(content) ? content : Buffer.from(content),
      fields: { deliveryTag, redelivered: false, exchange: '', routingKey: consumer.queue ?? '', consumerTag: 'ctag' },
      properties: { headers: {}, ...properties },
    } as unknown as ConsumeMessage;
    consumer.onMessage(msg);
    return deliveryTag;
  }
}

export class FakeChannel extends EventEmitter {
  onMessage: ((m: ConsumeMessage | null) => void) | undefined;
  queue: string | undefined;
  closed = false;
  constructor(private readonly world: FakeWorld) {
    super();
  }
  async assertQueue(queue: string) {
    return { queue, messageCount: 0, consumerCount: 0 };
  }
  async checkQueue(queue: string) {
    return { queue, messageCount: 0, consumerCount: 0 };
  }
  async assertExchange(exchange: string) {
    return { exchange };
  }
  async bindQueue() {
    return {};
  }
  async prefetch() {
    return {};
  }
  async consume(queue: string, cb: (m: ConsumeMessage | null) => void) {
    this.queue = queue;
    this.onMessage = cb;
    return { consumerTag: 'ctag' };
  }
  publish(exchange: string, routingKey: string, content: Buffer, options: Record<string, unknown>, cb?: (err: unknown) => void): boolean {
    if (this.closed) throw new Error('Channel closed');
    return this.world.write({ channel: this, exchange, routingKey, content, options }, cb);
  }
  ack(m: ConsumeMessage) {
    this.world.settled.push({ tag: m.fields.deliveryTag, kind: 'ack' });
  }
  nack(m: ConsumeMessage, _all?: boolean, requeue?: boolean) {
    this.world.settled.push({ tag: m.fields.deliveryTag, kind: 'nack', requeue });
  }
  async close() {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.world.published) if (p.channel === this && !p.confirmed) p.confirm(new Error('channel closed'));
    this.emit('close');
  }
}

/** Lets promise continuations and timers of 0 ms run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
