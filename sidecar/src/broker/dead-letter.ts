import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DEAD_LETTER_HEADERS, type MessageProperties } from './consumer';
import type { PublishOptions } from './publisher';

/**
 * A message of a `<queue>.dead` queue as an operator sees it, read purely from its properties: whoever
 * dead-lettered it, the bridge (consumer helper: `x-reject-*`, `x-original-queue`) or RabbitMQ itself
 * (delivery limit, a `drop` outcome: `x-death`).
 */
export interface DeadLetter {
  /** messageId (the idempotency key or event id), else `sha256:` and the body's first 16 hex digits. */
  id: string;
  /** `x-reject-stage` (the applier's), else RabbitMQ's `x-death` reason (`rejected`, `delivery_limit`, ...), else `unknown`. */
  stage: string;
  reason: string;
  /** The failing field path, when the stage has one (`schema`). */
  path?: string;
  /** The queue it came from, where a replay puts it back. */
  from: string;
  /** When it was dead-lettered (ISO), when known. */
  at?: string;
  type?: string;
  correlationId?: string;
  content: Buffer;
  properties: MessageProperties;
}

const deathSchema = z.object({
  reason: z.string().optional(),
  queue: z.string().optional(),
  count: z.number().optional(),
  time: z.object({ value: z.number() }).optional(),
});

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : undefined);

/** How a dead letter is named everywhere (CLI, Odoo's dead-letter list): its messageId, else a digest of its body. */
export function deadLetterId(content: Buffer, properties: Pick<MessageProperties, 'messageId'>): string {
  return text(properties.messageId) ?? `sha256:${createHash('sha256').update(content).digest('hex').slice(0, 16)}`;
}

/** The properties as a DeadLetter; `deadQueue` is where it was read (its source queue is that name without `.dead` when no header says). */
export function describeDeadLetter(content: Buffer, properties: MessageProperties, deadQueue: string): DeadLetter {
  const h: Record<string, unknown> = properties.headers ?? {};
  const deaths = z.array(z.unknown()).safeParse(h['x-death']);
  const death = deaths.success ? deathSchema.safeParse(deaths.data[0]) : undefined;
  const d = death?.success ? death.data : undefined;
  const ours = text(h[DEAD_LETTER_HEADERS.reason]);
  const stage = text(h[DEAD_LETTER_HEADERS.stage]) ?? d?.reason ?? 'unknown';
  const from = text(h[DEAD_LETTER_HEADERS.queue]) ?? d?.queue ?? deadQueue.replace(/\.dead$/, '');
  const reason =
    ours ??
    (d ? `RabbitMQ dead-lettered it from ${d.queue ?? from} (${d.reason ?? 'no reason'}${d.count !== undefined ? `, ${d.count} time${d.count === 1 ? '' : 's'}` : ''})` : 'no reason recorded');
  const at = text(h[DEAD_LETTER_HEADERS.at]) ?? (d?.time ? new Date(d.time.value * 1000).toISOString() : undefined);
  const path = text(h[DEAD_LETTER_HEADERS.path]);
  const id = deadLetterId(content, properties);
  return {
    id,
    stage,
    reason,
    ...(path !== undefined ? { path } : {}),
    from,
    ...(at !== undefined ? { at } : {}),
    ...(text(properties.type) !== undefined ? { type: text(properties.type) } : {}),
    ...(text(properties.correlationId) !== undefined ? { correlationId: text(properties.correlationId) } : {}),
    content,
    properties,
  };
}

/** Headers that say why and where a message was dead-lettered: a replayed copy starts without them. */
const DEAD_HEADER_NAMES: readonly string[] = [...Object.values(DEAD_LETTER_HEADERS), 'x-death', 'x-first-death-queue', 'x-first-death-reason', 'x-first-death-exchange', 'x-last-death-queue', 'x-last-death-reason', 'x-last-death-exchange', 'x-apply-attempts', 'x-delivery-count'];

/**
 * The publish options of a replayed copy: every original property (messageId above all: consumers
 * dedupe on it), the dead-letter headers removed, `x-replayed-at` and `x-replayed-from` added.
 */
export function replayOptions(d: DeadLetter, deadQueue: string, replayedAt: Date): PublishOptions {
  const p = d.properties;
  const headers = Object.fromEntries(Object.entries(p.headers ?? {}).filter(([k]) => !DEAD_HEADER_NAMES.includes(k)));
  const opt = <T>(v: T | undefined | null): T | undefined => (v === null ? undefined : v);
  return {
    persistent: true,
    contentType: opt(p.contentType as string | undefined),
    contentEncoding: opt(p.contentEncoding as string | undefined),
    correlationId: opt(p.correlationId as string | undefined),
    messageId: opt(p.messageId as string | undefined),
    type: opt(p.type as string | undefined),
    timestamp: opt(p.timestamp as number | undefined),
    appId: opt(p.appId as string | undefined),
    priority: opt(p.priority as number | undefined),
    headers: { ...headers, 'x-replayed-at': replayedAt.toISOString(), 'x-replayed-from': deadQueue },
  };
}

/**
 * The publish options of the copy that takes a message's place at the tail of its own dead-letter queue
 * (`DeadLetterQueue` reads by moving, see there): everything as it was but the broker's own delivery count.
 */
export function keepOptions(d: DeadLetter): PublishOptions {
  const headers = Object.fromEntries(Object.entries(d.properties.headers ?? {}).filter(([k]) => k !== 'x-delivery-count'));
  return { ...replayOptions(d, '', new Date(0)), headers };
}

/** The body for a person: JSON pretty-printed, other text as it is, binary as base64. */
export function prettyBody(content: Buffer): string {
  const s = content.toString('utf8');
  try {
    return JSON.stringify(JSON.parse(s), null, 2);
  } catch {
    return Buffer.from(s, 'utf8').equals(content) ? s : `(binary, base64) ${content.toString('base64')}`;
  }
}
