import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How a partner proves who it is, checked on the raw body before anything is parsed. Pure: headers,
 * body and clock in, a verdict out. Four schemes, one per kind of sender:
 *
 * - `bearer`: `Authorization: Bearer <token>` (a WMS or EDI gateway calling the batch endpoint).
 * - `hmac`: the bridge's own signature for partners that can sign: `X-Bridge-Timestamp: <unix seconds>`
 *   and `X-Bridge-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`; a timestamp outside
 *   the replay window is refused, so a captured request cannot be sent again later.
 * - `easypost`: EasyPost's `X-Hmac-Signature: hmac-sha256-hex=<hex HMAC-SHA256(secret, body)>`.
 * - `aftership`: AfterShip's `aftership-hmac-sha256: <base64 HMAC-SHA256(secret, body)>`.
 * Platform signatures carry no timestamp: a replayed webhook is answered by the inbox's idempotency
 * key (derived from the carrier's statement) and changes nothing.
 */

export type AuthScheme = 'bearer' | 'hmac' | 'easypost' | 'aftership';
export interface PartnerCredential {
  scheme: AuthScheme;
  secret: string;
}
export type AuthVerdict = { ok: true } | { ok: false; reason: string };

export const REPLAY_WINDOW_S = 300;
type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const hmac = (secret: string, data: Buffer | string) => createHmac('sha256', Buffer.from(secret.normalize('NFKD'), 'utf8')).update(data);

/** The signature headers a partner sends with `body` at `nowMs` (documentation and tests use it). */
export function signBridgeRequest(secret: string, body: Buffer | string, nowMs: number): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  const signature = hmac(secret, Buffer.concat([Buffer.from(`${timestamp}.`), Buffer.from(body)])).digest('hex');
  return { 'x-bridge-timestamp': timestamp, 'x-bridge-signature': `v1=${signature}` };
}

export function verifyPartner(credential: PartnerCredential, headers: Headers, body: Buffer, nowMs: number): AuthVerdict {
  const { scheme, secret } = credential;
  if (scheme === 'bearer') {
    const auth = header(headers, 'authorization');
    if (!auth) return { ok: false, reason: 'Authorization: Bearer <token> is required' };
    const m = /^Bearer\s+(.+)$/i.exec(auth);
    return m && same(m[1]!.trim(), secret) ? { ok: true } : { ok: false, reason: 'the bearer token was refused' };
  }
  if (scheme === 'hmac') {
    const timestamp = header(headers, 'x-bridge-timestamp');
    const signature = header(headers, 'x-bridge-signature');
    if (!timestamp || !signature) return { ok: false, reason: 'X-Bridge-Timestamp and X-Bridge-Signature are required' };
    if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'X-Bridge-Timestamp must be unix seconds' };
    if (Math.abs(nowMs / 1000 - Number(timestamp)) > REPLAY_WINDOW_S) return { ok: false, reason: `X-Bridge-Timestamp is outside the ${REPLAY_WINDOW_S} s replay window` };
    const expected = signBridgeRequest(secret, body, Number(timestamp) * 1000)['x-bridge-signature']!;
    return same(signature, expected) ? { ok: true } : { ok: false, reason: 'the signature does not match the body' };
  }
  if (scheme === 'easypost') {
    const signature = header(headers, 'x-hmac-signature');
    if (!signature) return { ok: false, reason: 'X-Hmac-Signature is required' };
    return same(signature, `hmac-sha256-hex=${hmac(secret, body).digest('hex')}`) ? { ok: true } : { ok: false, reason: 'the signature does not match the body' };
  }
  const signature = header(headers, 'aftership-hmac-sha256');
  if (!signature) return { ok: false, reason: 'aftership-hmac-sha256 is required' };
  return same(signature, hmac(secret, body).digest('base64')) ? { ok: true } : { ok: false, reason: 'the signature does not match the body' };
}
