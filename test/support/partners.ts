/**
 * Test helpers for the partner doors: a door bound to port 0 against the real RabbitMQ (optionally
 * through a TcpProxy the test can cut), an updates queue unique to the run, partners configured in
 * memory, and webhook bodies shaped like the platforms' published examples.
 */
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { Broker, UpdatePublisher } from '../../sidecar/src/broker';
import type { Partner } from '../../sidecar/src/config';
import { PartnerDirectory, PartnerDoor, signBridgeRequest } from '../../sidecar/src/partners';
import { PARTNER_UPDATE_TYPES } from '@logistics-bridge/contract';
import { createLogger } from '../../sidecar/src/telemetry';
import { AMQP_URL } from './env';
import { deleteQueue } from './gateway';

export const SECRETS = {
  wms: 'wms-token-0123456789abcdef',
  asn: 'asn-hmac-secret-0123456789',
  easypost: 'easypost-webhook-secret-01',
  aftership: 'aftership-webhook-secret-1',
  slow: 'slow-token-0123456789abcdef',
};
export const PARTNERS: Partner[] = [
  { id: 'wms-acme', scheme: 'bearer', secret: SECRETS.wms, ratePerSecond: 100_000, routes: ['updates'], types: PARTNER_UPDATE_TYPES },
  { id: 'supplier-7', scheme: 'hmac', secret: SECRETS.asn, ratePerSecond: 100_000, routes: ['updates'], types: ['receipt.announced'] },
  { id: 'easypost', scheme: 'easypost', secret: SECRETS.easypost, ratePerSecond: 100_000, routes: ['webhook'], platform: 'easypost', types: PARTNER_UPDATE_TYPES },
  { id: 'aftership', scheme: 'aftership', secret: SECRETS.aftership, ratePerSecond: 100_000, routes: ['webhook'], platform: 'aftership', types: PARTNER_UPDATE_TYPES },
  { id: 'slow-wms', scheme: 'bearer', secret: SECRETS.slow, ratePerSecond: 2, routes: ['updates'], types: PARTNER_UPDATE_TYPES },
];

export interface DoorFixture {
  door: PartnerDoor;
  url: string;
  queue: string;
  stop(): Promise<void>;
}

export async function startDoor(opts: { amqpUrl?: string; maxBodyBytes?: number; partners?: Partner[] } = {}): Promise<DoorFixture> {
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'error');
  const broker = await Broker.open({ url: opts.amqpUrl ?? AMQP_URL }, log);
  const queue = `test.door.${randomBytes(4).toString('hex')}.logistics.updates`;
  const publisher = new UpdatePublisher(broker.model, { queue, window: 1024, log, appId: 'logistics-bridge-partners' });
  await publisher.declare();
  const door = new PartnerDoor({ listen: '127.0.0.1:0', directory: new PartnerDirectory(opts.partners ?? PARTNERS), publisher, maxBodyBytes: opts.maxBodyBytes ?? 1024 * 1024, log, registry: new Registry() });
  const port = await door.start();
  return {
    door,
    url: `http://127.0.0.1:${port}`,
    queue,
    async stop() {
      await door.stop();
      await deleteQueue(queue);
      await deleteQueue(`${queue}.dead`);
      await broker.close();
    },
  };
}

export interface Reply {
  status: number;
  body: Record<string, unknown> & { error?: string; path?: string; keys?: string[]; durable?: string[]; not_durable?: string[] };
  headers: Headers;
}

export async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  const r = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await r.text();
  return { status: r.status, body: JSON.parse(text) as Reply['body'], headers: r.headers };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
export const hmacHeaders = (secret: string, body: string, nowMs = Date.now()) => signBridgeRequest(secret, body, nowMs);

/** An EasyPost `tracker.updated` event (fields the door does not read left out). */
export function easyPostEvent(status: string, datetime: string, extra: Record<string, unknown> = {}) {
  return {
    object: 'Event',
    id: `evt_${randomBytes(4).toString('hex')}`,
    description: 'tracker.updated',
    result: {
      object: 'Tracker',
      tracking_code: 'RA473124829GB',
      carrier: 'USPS',
      status,
      status_detail: null,
      tracking_details: [{ status, message: `${status} scan`, datetime, tracking_location: { city: 'Reno', state: 'NV', country: 'US', zip: null } }],
      ...extra,
    },
  };
}
