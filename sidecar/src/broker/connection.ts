import { readFileSync } from 'node:fs';
import amqp, { type RecoveringChannelModel } from 'amqplib';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Config } from '../config';
import type { Logger } from '../telemetry';
import { BrokerAddresses, describeAddress, parseBrokerAddresses } from './addresses';

/**
 * One AMQP connection per process, recovered by amqplib's own recovery (exponential backoff with
 * jitter). Channels are not recovered by the client: the publisher (`ConfirmPublisher`) and the consumer
 * helper (`Consumer`) open theirs again from `model`, whose `createChannel` waits while the connection
 * is down, and declare what they need on every new channel.
 */
export class Broker {
  private connected = false;
  private readonly reconnects?: Counter;

  private constructor(
    readonly model: RecoveringChannelModel,
    private readonly log: Logger,
    registry?: Registry,
  ) {
    if (registry) {
      this.reconnects = new Counter({ name: 'logistics_bridge_broker_reconnects_total', help: 'Connections to RabbitMQ lost and re-established', registers: [registry] });
      const isUp = () => (this.connected ? 1 : 0);
      new Gauge({
        name: 'logistics_bridge_broker_connected',
        help: '1 while the RabbitMQ connection is open',
        registers: [registry],
        collect() {
          this.set(isUp());
        },
      });
    }
  }

  /**
   * Connects (retrying for ever in the background); resolves at once. With several addresses (a
   * cluster's nodes) each attempt goes to the next node after a failure or a lost connection.
   */
  static open(cfg: Config['amqp'], log: Logger, registry?: Registry): Promise<Broker> {
    const socketOptions = tlsOptions(cfg);
    const addresses = new BrokerAddresses(parseBrokerAddresses(cfg.url));
    return amqp
      .connect(addresses.target(), {
        ...socketOptions,
        clientProperties: { connection_name: `logistics-bridge-${process.pid}` },
        recovery: {
          waitForConnect: false,
          initialDelay: 200,
          maxDelay: 15_000,
          maxRetries: Infinity,
        },
      })
      .then((model) => {
        const broker = new Broker(model, log, registry);
        broker.watch(addresses);
        return broker;
      });
  }

  /**
   * For one-shot commands (the operator CLI): connects now or rejects (unreachable, refused credentials,
   * no such vhost) within `timeoutMs`, with the URL's password redacted from the message. Once connected it
   * recovers like `open` would, so a command in progress survives a blip.
   */
  static async connect(cfg: Config['amqp'], log: Logger, timeoutMs = 10_000): Promise<Broker> {
    const addresses = new BrokerAddresses(parseBrokerAddresses(cfg.url));
    try {
      const model = await amqp.connect(addresses.target(), {
        ...tlsOptions(cfg),
        timeout: timeoutMs,
        clientProperties: { connection_name: `logistics-bridge-cli-${process.pid}` },
        recovery: { waitForConnect: true, initialMaxRetries: 0, initialDelay: 200, maxDelay: 5_000, maxRetries: 5 },
      });
      const broker = new Broker(model, log);
      broker.connected = true;
      broker.watch(addresses);
      return broker;
    } catch (err) {
      throw new Error(`cannot connect to RabbitMQ at ${addresses.all.map(describeAddress).join(',')}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  isConnected(): boolean {
    return this.connected;
  }

  async close(): Promise<void> {
    await this.model.close().catch(() => undefined);
  }

  private watch(addresses: BrokerAddresses): void {
    let everConnected = false;
    const node = () => describeAddress(addresses.current);
    this.model.on('connect', () => {
      this.connected = true;
      if (everConnected) this.reconnects?.inc();
      everConnected = true;
      this.log.info('connected to RabbitMQ', { url: node() });
    });
    // amqplib schedules the next attempt after these events: it goes to the next node.
    this.model.on('disconnect', (err: Error) => {
      this.connected = false;
      this.log.warn('RabbitMQ connection lost; reconnecting', { url: node(), error: err.message });
      addresses.advance();
    });
    this.model.on('connect-failed', (err: Error) => {
      this.log.warn('cannot connect to RabbitMQ', { url: node(), error: err.message });
      addresses.advance();
    });
    this.model.on('blocked', (reason: string) => this.log.warn('RabbitMQ blocked publishing (resource alarm)', { reason }));
    this.model.on('unblocked', () => this.log.info('RabbitMQ unblocked publishing'));
    this.model.on('error', (err: Error) => this.log.warn('RabbitMQ connection error', { error: err.message }));
  }
}

function tlsOptions(cfg: Config['amqp']): Record<string, unknown> {
  if (!cfg.url.startsWith('amqps:')) return {};
  return {
    ...(cfg.caFile ? { ca: [readFileSync(cfg.caFile)] } : {}),
    ...(cfg.certFile && cfg.keyFile ? { cert: readFileSync(cfg.certFile), key: readFileSync(cfg.keyFile) } : {}),
  };
}
