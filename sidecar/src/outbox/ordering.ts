import type { OutboxEvent } from './event';

/**
 * Per-aggregate ordering guard, pure. Odoo never hands out event N+1 of an aggregate while N is
 * unpublished, so a claimed batch normally holds one event per aggregate; this guard keeps the order
 * even if it does not (an older addon, an expired lease reclaimed together with its successor).
 *
 * `planWaves` splits a batch into waves: each wave holds at most one event per aggregate, events of one
 * aggregate appear in id order across waves. Wave k+1 is published only after wave k is confirmed.
 */
export function planWaves<T extends Pick<OutboxEvent, 'id' | 'aggregate_key'>>(events: readonly T[]): T[][] {
  const sorted = [...events].sort((a, b) => a.id - b.id);
  const depth = new Map<string, number>();
  const waves: T[][] = [];
  for (const event of sorted) {
    const d = depth.get(event.aggregate_key) ?? 0;
    depth.set(event.aggregate_key, d + 1);
    (waves[d] ??= []).push(event);
  }
  return waves;
}

/**
 * After a wave, the events still to publish whose aggregate had a failure in this batch must not go
 * out (they would overtake the failed one): they are released to Odoo instead.
 */
export function splitBlocked<T extends Pick<OutboxEvent, 'aggregate_key'>>(events: readonly T[], failedAggregates: ReadonlySet<string>): { go: T[]; blocked: T[] } {
  const go: T[] = [];
  const blocked: T[] = [];
  for (const e of events) (failedAggregates.has(e.aggregate_key) ? blocked : go).push(e);
  return { go, blocked };
}
