import { z } from 'zod';
import { checkErpUpdate, type ErpUpdate } from '@logistics-bridge/contract';
import { OdooAccessError, OdooAuthError, OdooError, OdooServerError, OdooTransportError, OdooUserError } from '../odoo';
import { backoffDelay, type BackoffPolicy } from '../retry';

/**
 * The applier's pure decisions, no I/O: what a message body is, what Odoo's answer means for each
 * delivery, when a batch is due, how long to wait before a retry. applier.ts only carries them out.
 */

// ---- message body ----------------------------------------------------------------------------------

export type Decoded = { ok: true; update: ErpUpdate } | { ok: false; reason: string; path: string };

/** A `logistics.updates` body: JSON, then the contract's zod schema. Never sent to Odoo when not ok. */
export function decodeUpdate(content: Buffer): Decoded {
  let raw: unknown;
  try {
    raw = JSON.parse(content.toString('utf8'));
  } catch (err) {
    return { ok: false, path: '', reason: `body is not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const check = checkErpUpdate(raw);
  if (check.ok) return check;
  return { ok: false, path: check.path, reason: `${check.path || '(body)'}: ${check.message}` };
}

// ---- Odoo's answer -----------------------------------------------------------------------------------

const applyResult = z.object({
  idempotency_key: z.string().nullable(),
  status: z.enum(['applied', 'duplicate', 'rejected', 'retry']),
  reason: z.string().nullish(),
  update_id: z.number().nullish(),
});
export type ApplyResult = z.infer<typeof applyResult>;

/** Odoo answered something that is not one result per update in order: a contract break, never guessed around. */
export class ApplyProtocolError extends Error {
  override name = 'ApplyProtocolError';
}

/** Parses `apply_batch`'s answer for the updates sent (`keys`, in order). */
export function parseApplyResults(keys: readonly string[], raw: unknown): ApplyResult[] {
  const r = z.array(applyResult).safeParse(raw);
  if (!r.success) throw new ApplyProtocolError(`apply_batch answered an unexpected shape: ${r.error.issues[0]?.message ?? 'invalid'}`);
  if (r.data.length !== keys.length) throw new ApplyProtocolError(`apply_batch answered ${r.data.length} results for ${keys.length} updates`);
  r.data.forEach((res, i) => {
    if (res.idempotency_key !== keys[i]) throw new ApplyProtocolError(`apply_batch result ${i} is for "${res.idempotency_key}", expected "${keys[i]}"`);
  });
  return r.data;
}

// ---- per-delivery outcome ----------------------------------------------------------------------------

export interface RetryPolicy {
  /** Deliveries of one update to Odoo that answered `retry`; the last one dead-letters it. */
  maxAttempts: number;
  backoff: BackoffPolicy;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, backoff: { baseMs: 200, maxMs: 10_000 } };

/** Why a message went to `logistics.updates.dead` (the `x-reject-stage` header). */
export type DeadStage = 'schema' | 'rejected' | 'retries' | 'odoo-error';

export type Outcome =
  | { kind: 'ack'; status: 'applied' | 'duplicate' }
  | { kind: 'retry'; attempt: number; delayMs: number; reason: string }
  | { kind: 'dead'; stage: DeadStage; reason: string };

/**
 * What to do with one delivery given Odoo's result. `attempt` counts the `retry` answers so far for this
 * delivery (0 the first time Odoo sees it).
 */
export function outcomeOf(result: ApplyResult, attempt: number, policy: RetryPolicy = DEFAULT_RETRY, random: () => number = Math.random): Outcome {
  switch (result.status) {
    case 'applied':
    case 'duplicate':
      return { kind: 'ack', status: result.status };
    case 'rejected':
      return { kind: 'dead', stage: 'rejected', reason: result.reason || 'rejected by Odoo (no reason given)' };
    case 'retry': {
      const reason = result.reason || 'Odoo asked to retry';
      const next = attempt + 1;
      if (next >= policy.maxAttempts) return { kind: 'dead', stage: 'retries', reason: `still failing after ${next} attempts: ${reason}` };
      return { kind: 'retry', attempt: next, delayMs: backoffDelay(attempt, policy.backoff, random), reason };
    }
  }
}

// ---- whole-batch failures ----------------------------------------------------------------------------

/**
 * A failed `apply_batch` call. `wait`: Odoo down, unreachable, refusing our credentials or rights, or an
 * unexpected answer: nothing is settled, the same batch is sent again after a backoff (Odoo dedupes if a
 * lost answer had applied it). `isolate`: Odoo raised for this input (a bug or a payload the addon cannot
 * take at all): the batch is split until the update that raises is alone, which is then dead-lettered.
 */
export type BatchFailure = { kind: 'wait'; why: 'transport' | 'auth' | 'access' | 'server' | 'protocol' } | { kind: 'isolate' };

export function classifyBatchFailure(err: unknown): BatchFailure {
  if (err instanceof OdooAuthError) return { kind: 'wait', why: 'auth' };
  if (err instanceof OdooAccessError) return { kind: 'wait', why: 'access' };
  if (err instanceof OdooTransportError) return { kind: 'wait', why: 'transport' };
  if (err instanceof OdooUserError) return { kind: 'isolate' };
  if (err instanceof OdooServerError) return err.idempotentRetryable ? { kind: 'wait', why: 'server' } : { kind: 'isolate' };
  if (err instanceof OdooError) return { kind: 'wait', why: 'server' };
  return { kind: 'wait', why: 'protocol' };
}

/** The delay before sending a failed batch again; `failures` counts the consecutive failed calls (1 = first). */
export function batchRetryDelay(failures: number, why: Extract<BatchFailure, { kind: 'wait' }>['why'], random: () => number = Math.random): number {
  // Credentials and rights need a human: no point hammering Odoo's login every 200 ms.
  const policy = why === 'auth' || why === 'access' ? { baseMs: 2_000, maxMs: 60_000 } : { baseMs: 250, maxMs: 15_000 };
  return backoffDelay(Math.max(0, failures - 1), policy, random);
}

// ---- batching ---------------------------------------------------------------------------------------

export interface BatchTiming {
  /** Most updates in one `apply_batch` call. */
  size: number;
  /** How long the first waiting update waits for others before a smaller batch goes. */
  lingerMs: number;
}

/**
 * The aggregate an update belongs to, for ordering: updates with the same key are applied in queue
 * order (never in two batches at once, never past one waiting for a retry). A picking reference by id
 * and one by name are different keys: adapters send one kind per picking.
 */
export function orderKey(update: ErpUpdate): string {
  const payload = update.payload as { picking?: { id?: number; name?: string }; sscc?: string; product?: unknown; location?: unknown };
  if (payload.picking) return payload.picking.id !== undefined ? `picking#${payload.picking.id}` : `picking:${payload.picking.name ?? ''}`;
  if (update.type === 'parcel.sorted') return `sscc:${payload.sscc ?? ''}`;
  if (update.type === 'inventory.counted') return `quant:${JSON.stringify(payload.product)}@${JSON.stringify(payload.location)}`;
  return `device:${update.adapter_id}/${update.device_id}`;
}

export type FlushPlan<T> = { kind: 'now'; batch: T[] } | { kind: 'wait'; ms: number; lingering: boolean } | { kind: 'idle' };

/**
 * The next batch, or how long to wait for it. Scans `pending` in arrival (queue) order and takes up to
 * `size` updates that are ready and whose order key is neither `busy` (in a batch in flight) nor behind
 * an earlier update of the same key that is not ready (waiting for a retry). The batch goes when full,
 * or once the oldest taken update has lingered `lingerMs`; otherwise the answer says how long to wait
 * (`lingering`: for the linger, else for the next retry to become due), or `idle` when only an in-flight
 * batch or a new delivery can change anything.
 */
export function planBatch<T extends { readyAt: number }>(
  pending: readonly T[],
  now: number,
  timing: BatchTiming,
  busy: ReadonlySet<string>,
  keyOf: (item: T) => string,
): FlushPlan<T> {
  const blocked = new Set(busy);
  const batch: T[] = [];
  let oldest = Infinity;
  let nextDue = Infinity;
  for (const p of pending) {
    if (batch.length >= timing.size) break;
    const key = keyOf(p);
    if (blocked.has(key)) continue;
    if (p.readyAt > now) {
      blocked.add(key);
      nextDue = Math.min(nextDue, p.readyAt);
      continue;
    }
    batch.push(p);
    oldest = Math.min(oldest, p.readyAt);
  }
  if (batch.length >= timing.size) return { kind: 'now', batch };
  if (batch.length > 0) {
    const lingerEnds = oldest + timing.lingerMs;
    if (lingerEnds <= now) return { kind: 'now', batch };
    return { kind: 'wait', ms: Math.max(1, lingerEnds - now), lingering: true };
  }
  if (nextDue < Infinity) return { kind: 'wait', ms: Math.max(1, nextDue - now), lingering: false };
  return { kind: 'idle' };
}

/** `pending` without the items of `batch` (order kept). */
export function withoutBatch<T>(pending: readonly T[], batch: readonly T[]): T[] {
  const taken = new Set(batch);
  return pending.filter((p) => !taken.has(p));
}
