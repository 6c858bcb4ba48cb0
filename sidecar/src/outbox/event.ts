import { z } from 'zod';
import { compileCheck } from './fastcheck';

/**
 * One outbox row as `relay_claim` / `relay_replay` hand it over (the addon's fixed relay contract).
 * `payload` is the canonical JSON *string*: its bytes are published as the body, unchanged.
 */
export const outboxEventSchema = z.object({
  id: z.number().int().positive(),
  uuid: z.string().min(1),
  event_type: z.string().min(1),
  schema_version: z.number().int(),
  aggregate_model: z.string().nullish(),
  aggregate_id: z.number().int().nullish(),
  aggregate_key: z.string().min(1),
  payload: z.string(),
  correlation_id: z.string().nullish(),
  company_id: z.number().int().nullish(),
  priority: z.number().int(),
  attempts: z.number().int().nonnegative(),
  created_at: z.string().min(1),
  user_id: z.number().int().nullish(),
  database: z.string().min(1),
});

export type OutboxEvent = z.infer<typeof outboxEventSchema>;

/** The row check compiled once (fastcheck.ts); zod runs only for a row it does not accept, to name the field. */
const rowIsValid = compileCheck(outboxEventSchema);

/** A row that passed `rowIsValid`, copied field by field as zod's parse would (unknown keys dropped). */
function toEvent(r: Record<string, unknown>): OutboxEvent {
  return {
    id: r.id as number,
    uuid: r.uuid as string,
    event_type: r.event_type as string,
    schema_version: r.schema_version as number,
    aggregate_model: r.aggregate_model as string | null | undefined,
    aggregate_id: r.aggregate_id as number | null | undefined,
    aggregate_key: r.aggregate_key as string,
    payload: r.payload as string,
    correlation_id: r.correlation_id as string | null | undefined,
    company_id: r.company_id as number | null | undefined,
    priority: r.priority as number,
    attempts: r.attempts as number,
    created_at: r.created_at as string,
    user_id: r.user_id as number | null | undefined,
    database: r.database as string,
  };
}

export const ackResultSchema = z.object({ acked: z.array(z.number().int()), refused: z.array(z.number().int()) });
export const nackResultSchema = z.object({ retried: z.array(z.number().int()), dead: z.array(z.number().int()), refused: z.array(z.number().int()) });
export const releaseResultSchema = z.object({ released: z.array(z.number().int()) });
export const waitResultSchema = z.object({ ready: z.boolean(), max_id: z.number().int(), next_due_in: z.number().nullable() });
export const statsSchema = z.object({
  pending: z.number().int(),
  claimed: z.number().int(),
  published: z.number().int(),
  dead: z.number().int(),
  oldest_pending_age_s: z.number().nullable(),
  oldest_pending_created_at: z.string().nullable(),
  /** Seconds since the oldest claim still held was made: work in flight that `pending` does not show. */
  oldest_claim_age_s: z.number().nullable(),
  /** Registered relays (alive, or stopped within the hour) and owners of claims that never registered. */
  relays: z.array(
    z.object({
      worker_id: z.string(),
      host: z.string().nullable(),
      pid: z.number().int().nullable(),
      /** null: the owner never registered (its claims are freed by their lease only). */
      alive: z.boolean().nullable(),
      stop_reason: z.string().nullable(),
      heartbeat_age_s: z.number().nullable(),
      claimed: z.number().int(),
    }),
  ),
  /** Open SLA breaches per rule (not_acknowledged, not_dispatched, no_tracking); absent before addon 1.2.1. */
  sla_breaches: z.record(z.string(), z.object({ count: z.number().int(), oldest_age_s: z.number().nullable() })).optional(),
});

/** Another relay process as the registry knows it (`relay_register`'s holder and peers). */
export const relayPeerSchema = z.object({
  worker_id: z.string(),
  instance: z.string().nullable(),
  host: z.string().nullable(),
  pid: z.number().int().nullable(),
  incarnation: z.string().nullable(),
  heartbeat_age_s: z.number().nullable(),
});
export const registerResultSchema = z.object({
  registered: z.boolean(),
  released: z.number().int(),
  holder: relayPeerSchema.nullable(),
  peers: z.array(relayPeerSchema),
});
export const heartbeatResultSchema = z.object({ registered: z.boolean(), released: z.number().int() });
export const unregisterResultSchema = z.object({ released: z.number().int() });

export type AckResult = z.infer<typeof ackResultSchema>;
export type NackResult = z.infer<typeof nackResultSchema>;
export type ReleaseResult = z.infer<typeof releaseResultSchema>;
export type WaitResult = z.infer<typeof waitResultSchema>;
export type OutboxStats = z.infer<typeof statsSchema>;
export type RelayPeer = z.infer<typeof relayPeerSchema>;
export type RegisterResult = z.infer<typeof registerResultSchema>;
export type HeartbeatResult = z.infer<typeof heartbeatResultSchema>;

export interface Failure {
  id: number;
  error: string;
  /** Dead at once (no retry), e.g. a payload that fails its schema. */
  permanent?: boolean;
}

/** A claimed row that could not even be read as an OutboxEvent: it is nacked permanent with the reason. */
export interface MalformedRow {
  id: number;
  error: string;
}

/**
 * `relay_claim`'s answer: the acks it made first (`ack_ids`), and the claimed rows as one JSON *text*
 * (PostgreSQL builds it, so Odoo neither builds nor encodes a dict per row); the rows are parsed here.
 */
export const claimAnswerSchema = z.object({ events: z.string(), acked: z.array(z.number().int()), refused: z.array(z.number().int()) });

export interface ClaimResult {
  events: OutboxEvent[];
  malformed: MalformedRow[];
  /** Of the ack ids sent with the claim: marked published, or refused (lease lost). */
  acked: number[];
  refused: number[];
}

export function parseClaim(answer: unknown): ClaimResult {
  const { events, acked, refused } = claimAnswerSchema.parse(answer);
  let rows: unknown;
  try {
    rows = JSON.parse(events);
  } catch (err) {
    throw new TypeError(`relay_claim returned events that are not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { ...parseRows(rows), acked, refused };
}

/** Splits a claim answer into well-formed events and rows to nack (a row without an id is dropped: its lease expires). */
export function parseRows(rows: unknown): { events: OutboxEvent[]; malformed: MalformedRow[] } {
  if (!Array.isArray(rows)) throw new TypeError(`expected a list of outbox events, got ${typeof rows}`);
  const events: OutboxEvent[] = [];
  const malformed: MalformedRow[] = [];
  for (const row of rows) {
    if (rowIsValid?.(row)) {
      events.push(toEvent(row as Record<string, unknown>));
      continue;
    }
    const parsed = outboxEventSchema.safeParse(row);
    if (parsed.success) {
      events.push(parsed.data);
      continue;
    }
    const id = (row as { id?: unknown } | null)?.id;
    if (typeof id === 'number' && Number.isInteger(id)) malformed.push({ id, error: `malformed outbox row: ${z.prettifyError(parsed.error)}` });
  }
  return { events, malformed };
}
