/**
 * Master control on MQTT, thin: publishes `order` and `instantActions` (QoS 0, 6.2) with the header
 * stamped at send time (headerId per vehicle and topic), subscribes to every vehicle's `state` (QoS 0)
 * and `connection` (QoS 1, retained: the last will) of one manufacturer, parses them at the boundary,
 * reconnects (mqtt.js, with its resubscribe), and ends on an AbortSignal.
 */
import { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from './log';
import { HeaderIds, header, stamp, type InstantActionsBody, type OrderBody } from './builders';
import { connectionSchema, describeIssues, INTERFACE_NAME, MAJOR_VERSION, parseTopic, stateSchema, topicOf, type Connection, type InstantActions, type Order, type State } from './messages';

export interface MasterControlOptions {
  /** mqtt://host:port (credentials in the URL or options are the broker's business). */
  url: string;
  manufacturer: string;
  clientId?: string;
  log: Logger;
  /** Every message sent, for tests that validate them. */
  onSend?: (topic: string, message: Order | InstantActions) => void;
  /** Time source (tests). */
  now?: () => number;
}

export interface MasterControlEvents {
  state: [State];
  /** `receivedMs`: when it arrived (a last will's own timestamp is from the vehicle's connect). */
  connection: [Connection, number];
  invalid: [{ topic: string; reason: string }];
  connected: [];
}

export class MasterControl extends EventEmitter<MasterControlEvents> {
  private client: MqttClient | undefined;
  private readonly headerIds = new HeaderIds();
  private readonly now: () => number;

  constructor(private readonly opts: MasterControlOptions) {
    super();
    this.now = opts.now ?? Date.now;
  }

  /** Resolves once connected and subscribed; later reconnects resubscribe on their own. */
  async start(signal: AbortSignal): Promise<void> {
    const base = `${INTERFACE_NAME}/${MAJOR_VERSION}/${this.opts.manufacturer}/+`;
    const client = mqtt.connect(this.opts.url, {
      clientId: this.opts.clientId ?? `master-control-${this.opts.manufacturer}-${process.pid}`,
      reconnectPeriod: 1000,
      keepalive: 15,
    });
    this.client = client;
    client.on('message', (topic, payload) => this.receive(topic, payload));
    client.on('connect', () => this.emit('connected'));
    client.on('reconnect', () => this.opts.log.info('reconnecting to the MQTT broker'));
    client.on('error', (e) => this.opts.log.warn('MQTT error', { error: e.message }));
    signal.addEventListener('abort', () => void this.stop(), { once: true });
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(new Error('aborted before the broker answered'));
      signal.addEventListener('abort', onAbort, { once: true });
      client.once('connect', () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
    await client.subscribeAsync({ [`${base}/state`]: { qos: 0 }, [`${base}/connection`]: { qos: 1 } });
  }

  async publishOrder(serialNumber: string, body: OrderBody): Promise<void> {
    await this.send(serialNumber, 'order', body);
  }

  async publishInstantActions(serialNumber: string, body: InstantActionsBody): Promise<void> {
    await this.send(serialNumber, 'instantActions', body);
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync();
  }

  private async send(serialNumber: string, subtopic: 'order' | 'instantActions', body: OrderBody | InstantActionsBody): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('master control is not started');
    const message = stamp(body, header(this.headerIds.take(serialNumber, subtopic), this.opts.manufacturer, serialNumber, this.now())) as Order | InstantActions;
    const topic = topicOf(this.opts.manufacturer, serialNumber, subtopic);
    this.opts.onSend?.(topic, message);
    // QoS 0 as 6.2 says: a lost order is covered by resending it (the vehicle ignores a repeat).
    await client.publishAsync(topic, JSON.stringify(message), { qos: 0 });
  }

  private receive(topic: string, payload: Buffer): void {
    const t = parseTopic(topic);
    if (!t) return;
    let raw: unknown;
    try {
      raw = JSON.parse(payload.toString('utf8'));
    } catch {
      this.emit('invalid', { topic, reason: 'not JSON' });
      return;
    }
    const schema = t.subtopic === 'state' ? stateSchema : t.subtopic === 'connection' ? connectionSchema : undefined;
    if (!schema) return;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      this.emit('invalid', { topic, reason: describeIssues(parsed.error) });
      return;
    }
    if (parsed.data.serialNumber !== t.serialNumber) {
      this.emit('invalid', { topic, reason: `serialNumber ${parsed.data.serialNumber} does not match the topic` });
      return;
    }
    if (t.subtopic === 'state') this.emit('state', parsed.data as State);
    else this.emit('connection', parsed.data as Connection, this.now());
  }
}
