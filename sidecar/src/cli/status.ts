import type { OutboxStats } from '../outbox';

const seconds = (s: number) => `${s.toFixed(1)} s`;

/**
 * `status` for a person: counts per state, the claims in flight per relay with the age of the oldest
 * (so that `pending 0` never hides work a relay holds, or held when it died), and the lag.
 */
export function formatStatus(s: OutboxStats): string {
  const lines = [`pending    ${s.pending}`, `claimed    ${s.claimed}${s.oldest_claim_age_s === null ? '' : ` (oldest claim made ${seconds(s.oldest_claim_age_s)} ago)`}`];
  for (const r of s.relays) {
    if (r.alive === false && r.claimed === 0) continue;
    const state =
      r.alive === null
        ? 'not registered (its claims are freed by their lease)'
        : r.alive
          ? `alive, heartbeat ${r.heartbeat_age_s === null ? '?' : seconds(r.heartbeat_age_s)} ago`
          : `stopped (${r.stop_reason ?? 'unknown'})`;
    lines.push(`  relay ${r.worker_id}${r.host ? ` (${r.host} pid ${r.pid ?? '?'})` : ''}: ${r.claimed} claimed, ${state}`);
  }
  lines.push(`published  ${s.published}`, `dead       ${s.dead}`);
  const pending = s.oldest_pending_age_s === null ? 'none pending' : `${seconds(s.oldest_pending_age_s)} (oldest pending created ${s.oldest_pending_created_at})`;
  lines.push(`lag        ${pending}${s.claimed ? `; ${s.claimed} claimed, not published yet` : ''}`);
  return lines.join('\n');
}
