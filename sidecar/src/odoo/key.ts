import { z } from 'zod';

/** What the addon says about the API key the sidecar uses (`logistics.bridge.service.key_status`). */
export const keyStatusSchema = z.object({
  found: z.boolean(),
  expires_at: z.union([z.string(), z.literal(false), z.null()]).transform((v) => (v ? new Date(`${v.replace(' ', 'T')}Z`) : null)),
});
export type KeyStatus = z.output<typeof keyStatusSchema>;

const DAY_MS = 86_400_000;

/**
 * The warning to show ahead of the key's expiry (undefined when none is due): Odoo refuses an expired
 * key outright, so the admin must add a second key and rotate before that day (docs/odoo-versions.md).
 */
export function keyExpiryWarning(status: KeyStatus, now: Date, warnDays: number): string | undefined {
  if (!status.found || !status.expires_at) return undefined;
  const left = status.expires_at.getTime() - now.getTime();
  const when = status.expires_at.toISOString().replace(/\.\d+Z$/, 'Z');
  if (left <= 0) return `the service user's API key expired at ${when}: create a new key and rotate it in`;
  if (left > warnDays * DAY_MS) return undefined;
  const days = Math.ceil(left / DAY_MS);
  return `the service user's API key expires at ${when} (in ${days} day${days === 1 ? '' : 's'}): create a second key and rotate it in before then`;
}
