import { EVENTS_EXCHANGE, type PublishOptions, type PublishRequest } from '../broker';
import type { OutboxEvent } from './event';

/** AMQP header names of the message contract (docs/relay.md). */
export const HEADERS = {
  schemaVersion: 'x-schema-version',
  aggregateKey: 'x-aggregate-key',
  companyId: 'x-company-id',
  database: 'x-odoo-database',
  outboxId: 'x-outbox-id',
  createdAt: 'x-created-at',
  replayedAt: 'x-replayed-at',
} as const;

export interface MessageOptions {
  appId: string;
  exchange?: string;
  /** Set for an operator replay: the same messageId, marked so consumers can tell. */
  replayedAt?: Date;
}

/**
 * The message contract, pure: routing key = event type; body = the canonical payload string's bytes,
 * untouched; messageId = event UUID (consumers dedupe on it); persistent; timestamp = commit time of
 * the event in Odoo (seconds, AMQP's unit; milliseconds in `x-created-at`).
 */
export function buildMessage(event: OutboxEvent, opts: MessageOptions): PublishRequest {
  const created = Date.parse(event.created_at);
  // One literal shape for every message (the AMQP client encodes the table per publish); optional headers after.
  const headers: Record<string, string | number> = {
    'x-schema-version': event.schema_version,
    'x-aggregate-key': event.aggregate_key,
    'x-odoo-database': event.database,
    'x-outbox-id': event.id,
    'x-created-at': event.created_at,
  };
  if (event.company_id != null) headers[HEADERS.companyId] = event.company_id;
  if (opts.replayedAt) headers[HEADERS.replayedAt] = opts.replayedAt.toISOString();
  const options: PublishOptions = {
    persistent: true,
    messageId: event.uuid,
    type: event.event_type,
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    appId: opts.appId,
    headers,
  };
  if (event.correlation_id) options.correlationId = event.correlation_id;
  if (Number.isFinite(created)) options.timestamp = Math.floor(created / 1000);
  return { exchange: opts.exchange ?? EVENTS_EXCHANGE, routingKey: event.event_type, content: Buffer.from(event.payload, 'utf8'), options };
}

