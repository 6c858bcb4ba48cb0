import type { ConfirmChannel, Options } from 'amqplib';
import { backoffDelay, sleep } from '../retry';
import type { Logger } from '../telemetry';
import { abortable, firstOf } from './abortable';
import { ConfirmWindow } from './window';

/** Where the publisher gets its channels: the Broker's recovering connection (waits while it is down). */
export interface ConfirmChannelSource {
  createConfirmChannel(): Promise<ConfirmChannel>;
}

/** AMQP message properties of one publish (amqplib's own type, named here so no caller imports amqplib). */
export type PublishOptions = Options.Publish;

export interface PublishRequest {
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: PublishOptions;
}

/**
 * Why a publish did not get a broker ack:
 * - `nacked`: the broker refused the message (basic.nack): count it as a failed attempt;
 * - `channel-closed`: the channel or connection died before the confirm: the message may or may not
 *   have reached the queue, publish it again later (consumers dedupe on messageId);
 * - `aborted`: never sent, the caller's signal aborted while waiting for a window slot or a channel;
 * - `unavailable`: never sent, no channel is open (mode `refuse` only: the broker is down or the
 *   channel is being opened again).
 */
export type PublishFailure = 'nacked' | 'channel-closed' | 'aborted' | 'unavailable';

export class PublishError extends Error {
  override readonly name = 'PublishError';
  constructor(
    readonly kind: PublishFailure,
    message: string,
  ) {
    super(message);
  }
}

/**
 * What a publish does while no channel is open: `wait` for one (the relay: its rows stay leased in
 * Odoo meanwhile), or `refuse` at once with `PublishError('unavailable')` (the gateway: an adapter is
 * told UNAVAILABLE and resends after reconnecting, rather than its stream hanging). In `refuse` mode
 * the publisher opens a channel again by itself as soon as one is lost.
 */
export type PublisherMode = 'wait' | 'refuse';

export interface ConfirmPublisherOptions {
  /** Unconfirmed messages allowed at once (the sliding window). */
  window: number;
  /** Default `wait`. */
  mode?: PublisherMode;
  log: Logger;
  /** Runs on every new channel before it is used, e.g. `declareTopology`. */
  setup?: (channel: ConfirmChannel) => Promise<void>;
  /** Called with the publish → broker-confirm latency of every acked message, in seconds. */
  onConfirm?: (seconds: number) => void;
}

/**
 * A confirm-channel publisher with a sliding window of in-flight messages and one confirm callback per
 * message: many messages on the wire at once instead of one round trip each. When `publish()` returns
 * false (the socket buffer is full) later publishes wait for the channel's 'drain'. A dead channel is
 * replaced on the next publish (after the connection recovers); its unconfirmed messages fail with
 * `channel-closed`.
 *
 * The window is the only gate: a freed slot passes straight to the oldest waiter (ConfirmWindow), so a
 * publish arriving meanwhile never pushes the in-flight count past `window`, and every write after a
 * `false` from `channel.publish` waits for 'drain'.
 */
export class ConfirmPublisher {
  private readonly window: ConfirmWindow;
  private channel: ConfirmChannel | undefined;
  private opening: Promise<ConfirmChannel> | undefined;
  private drained: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly source: ConfirmChannelSource,
    private readonly opts: ConfirmPublisherOptions,
  ) {
    this.window = new ConfirmWindow(opts.window);
  }

  /** Messages published and not yet confirmed. */
  get inFlight(): number {
    return this.window.inFlight;
  }

  /** Resolves once a usable channel exists (the broker is reachable and the topology declared). */
  async ready(signal?: AbortSignal): Promise<void> {
    await this.getChannel(signal);
  }

  /** Publishes one message; resolves when the broker confirms it, rejects with a PublishError otherwise. */
  publish(req: PublishRequest, signal?: AbortSignal): Promise<void> {
    // The common case, without a promise per step: a channel, no drain pending, a free window slot.
    if (this.channel && !this.drained && !signal?.aborted && this.window.tryAcquire()) return this.send(this.channel, req);
    if (!this.channel && this.opts.mode === 'refuse') return Promise.reject(this.refusal());
    return this.publishWhenReady(req, signal);
  }

  /** Mode `refuse` with no channel: fails now and makes sure a channel is being opened. */
  private refusal(): PublishError {
    if (this.closed) return new PublishError('unavailable', 'publisher closed');
    this.reopenInBackground();
    return new PublishError('unavailable', 'no channel to RabbitMQ is open');
  }

  private reopenInBackground(): void {
    if (this.closed || this.channel) return;
    this.getChannel().catch(() => undefined); // open() retries until it succeeds or the publisher closes
  }

  private async publishWhenReady(req: PublishRequest, signal?: AbortSignal): Promise<void> {
    try {
      await this.window.acquire(signal);
    } catch {
      throw new PublishError('aborted', 'publish aborted before it was sent');
    }
    let channel: ConfirmChannel;
    try {
      if (!this.channel && this.opts.mode === 'refuse') throw this.refusal();
      channel = await this.getChannel(signal);
      while (this.drained) await abortable(this.drained, signal, aborted);
    } catch (err) {
      this.window.release();
      throw err instanceof PublishError ? err : new PublishError('aborted', 'publish aborted before it was sent');
    }
    return this.send(channel, req);
  }

  /** Writes one message on `channel` with its window slot already taken. */
  private send(channel: ConfirmChannel, req: PublishRequest): Promise<void> {
    const started = performance.now();
    return new Promise<void>((resolve, reject) => {
      let written: boolean;
      try {
        written = channel.publish(req.exchange, req.routingKey, req.content, req.options, (err: unknown) => {
          this.window.release();
          if (!err) {
            this.opts.onConfirm?.((performance.now() - started) / 1000);
            resolve();
            return;
          }
          const message = err instanceof Error ? err.message : String(err);
          reject(new PublishError(message === 'message nacked' ? 'nacked' : 'channel-closed', `broker did not confirm: ${message}`));
        });
      } catch (err) {
        // The channel closed between getChannel and now; nothing was sent.
        this.window.release();
        if (this.channel === channel) this.channel = undefined;
        reject(new PublishError('channel-closed', `cannot publish: ${err instanceof Error ? err.message : String(err)}`));
        return;
      }
      if (!written && !this.drained) this.drained = waitForDrain(channel).finally(() => (this.drained = undefined));
    });
  }

  /** Closes the channel; messages still unconfirmed then fail with `channel-closed`. */
  async close(): Promise<void> {
    this.closed = true;
    const channel = this.channel;
    this.channel = undefined;
    if (channel) await channel.close().catch(() => undefined);
  }

  private getChannel(signal?: AbortSignal): Promise<ConfirmChannel> {
    if (this.channel) return Promise.resolve(this.channel);
    if (this.closed) return Promise.reject(new PublishError('channel-closed', 'publisher closed'));
    this.opening ??= this.open().finally(() => (this.opening = undefined));
    return abortable(this.opening, signal, aborted);
  }

  private async open(): Promise<ConfirmChannel> {
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new PublishError('channel-closed', 'publisher closed');
      let channel: ConfirmChannel | undefined;
      try {
        channel = await this.source.createConfirmChannel();
        const ch = channel;
        ch.on('error', (err: Error) => this.opts.log.warn('publisher channel error', { error: err.message }));
        ch.on('close', () => {
          if (this.channel !== ch) return;
          this.channel = undefined;
          if (this.opts.mode === 'refuse') this.reopenInBackground();
        });
        await this.opts.setup?.(ch);
        this.channel = ch;
        if (attempt > 0) this.opts.log.info('publisher channel open again', { attempts: attempt + 1 });
        return ch;
      } catch (err) {
        await channel?.close().catch(() => undefined);
        if (this.closed) throw new PublishError('channel-closed', 'publisher closed');
        const delay = backoffDelay(attempt, { baseMs: 200, maxMs: 10_000 });
        this.opts.log.warn('cannot open a publisher channel; retrying', { error: err instanceof Error ? err.message : String(err), retryInMs: delay });
        await sleep(delay);
      }
    }
  }
}

/** Resolves on 'drain', or on 'close' (a channel that dies while full never drains: its waiters then fail). */
function waitForDrain(channel: ConfirmChannel): Promise<void> {
  return firstOf(channel, ['drain', 'close']);
}

const aborted = () => new PublishError('aborted', 'aborted');
