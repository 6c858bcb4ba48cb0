import { z } from 'zod';
import { PARTNER_UPDATE_TYPES, type ErpUpdateType } from '@logistics-bridge/contract';
import { CARRIER_PLATFORMS, type CarrierPlatform } from '../partners/carriers';
import type { AuthScheme } from '../partners/auth';

/**
 * The partners of the partner doors (docs/partners.md), from the JSON file PARTNERS_FILE:
 *
 *   {"wms-acme": {"scheme": "hmac", "secret_file": "/run/secrets/wms-acme", "rate_per_second": 50},
 *    "easypost": {"scheme": "easypost", "secret_file": "/run/secrets/easypost", "platform": "easypost"},
 *    "supplier-7": {"scheme": "bearer", "secret_file": "/run/secrets/s7", "amqp_user": "supplier-7"}}
 *
 * `routes` says which doors a partner may use: `updates` (POST /v1/partners/{id}/updates), `webhook`
 * (POST /v1/carriers/{platform}/webhook, for the partner whose `platform` it is) and `amqp` (the
 * exchange, for messages whose validated user_id is `amqp_user`). By default: `webhook` for a partner
 * with a platform, `updates` otherwise, plus `amqp` when it has an `amqp_user`. `types` is the update
 * types it may send (default: every partner type). The secret is read from its own file; it never
 * reaches a log line.
 */
const SCHEMES = ['bearer', 'hmac', 'easypost', 'aftership'] as const satisfies readonly AuthScheme[];
export const PARTNER_ROUTES = ['updates', 'webhook', 'amqp'] as const;
export type PartnerRoute = (typeof PARTNER_ROUTES)[number];
/** Partner ids become part of update keys (`partner:<id>:...`): the key charset, shorter. */
export const PARTNER_ID = /^[A-Za-z0-9._-]{1,64}$/;

const entrySchema = z.strictObject({
  scheme: z.enum(SCHEMES),
  secret_file: z.string().min(1, 'required: the file that holds the token or signing secret'),
  rate_per_second: z.number().positive().default(50),
  routes: z.array(z.enum(PARTNER_ROUTES)).min(1).optional(),
  platform: z.enum(CARRIER_PLATFORMS as [CarrierPlatform, ...CarrierPlatform[]]).optional(),
  amqp_user: z.string().min(1).max(200).optional(),
  types: z.array(z.enum(PARTNER_UPDATE_TYPES as [ErpUpdateType, ...ErpUpdateType[]])).min(1).optional(),
});
const fileSchema = z.record(z.string(), entrySchema);

export interface Partner {
  id: string;
  scheme: AuthScheme;
  secret: string;
  ratePerSecond: number;
  routes: readonly PartnerRoute[];
  platform?: CarrierPlatform;
  amqpUser?: string;
  types: readonly ErpUpdateType[];
}

/** Parses the partners file's text; `readSecret` reads each secret file. Errors name the partner and field, never a secret. */
export function parsePartners(json: string, readSecret: (path: string) => string): Partner[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error('not valid JSON');
  }
  const badId = value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value).find((id) => !PARTNER_ID.test(id)) : undefined;
  if (badId !== undefined) throw new Error(`${badId}: partner id: 1..64 characters of [A-Za-z0-9._-]`);
  const r = fileSchema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`${(i?.path ?? []).join('.')}: ${i?.message ?? 'invalid'}`);
  }
  const partners = Object.entries(r.data).map(([id, e]): Partner => {
    let secret: string;
    try {
      secret = readSecret(e.secret_file);
    } catch (err) {
      throw new Error(`${id}.secret_file: cannot read ${e.secret_file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (secret.length < 16) throw new Error(`${id}.secret_file: the secret must be at least 16 characters`);
    const routes = e.routes ?? [e.platform ? 'webhook' : 'updates', ...(e.amqp_user ? (['amqp'] as const) : [])];
    if (routes.includes('webhook') && !e.platform) throw new Error(`${id}.platform: required for the webhook route (one of ${CARRIER_PLATFORMS.join(', ')})`);
    if (routes.includes('amqp') && !e.amqp_user) throw new Error(`${id}.amqp_user: required for the amqp route`);
    return { id, scheme: e.scheme, secret, ratePerSecond: e.rate_per_second, routes, platform: e.platform, amqpUser: e.amqp_user, types: e.types ?? PARTNER_UPDATE_TYPES };
  });
  const users = partners.filter((p) => p.amqpUser).map((p) => p.amqpUser);
  const twice = users.find((u, i) => users.indexOf(u) !== i);
  if (twice) throw new Error(`amqp_user ${twice} names two partners`);
  return partners;
}
