import type { Partner, PartnerRoute } from '../config/partners';
import { TokenBucket } from '../devices/gateway/auth';
import { verifyPartner } from './auth';
import type { CarrierPlatform } from './carriers';

type Headers = Record<string, string | string[] | undefined>;

/** Who is calling, decided once per request; each failure carries the HTTP status the door answers. */
export type Admission = { ok: true; partner: Partner } | { ok: false; status: 401 | 403 | 404 | 429; message: string; retryAfterS?: number };

/**
 * The configured partners: looked up by id (batch route), by carrier platform (webhook route: every
 * partner of that platform is tried, so two accounts of one platform can both deliver) or by AMQP user,
 * each with its own token bucket of `rate_per_second` requests (bursts up to one second's worth).
 * Pure apart from the clock passed in.
 */
export class PartnerDirectory {
  private readonly byId = new Map<string, Partner>();
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(readonly partners: readonly Partner[]) {
    for (const p of partners) {
      this.byId.set(p.id, p);
      this.buckets.set(p.id, new TokenBucket(p.ratePerSecond));
    }
  }

  byAmqpUser(user: string | undefined): Partner | undefined {
    return user === undefined ? undefined : this.partners.find((p) => p.amqpUser === user && p.routes.includes('amqp'));
  }

  /** `POST /v1/partners/{id}/updates`: 404 unknown id, 401 bad credentials, 403 route not allowed, 429 over the rate. */
  admitById(id: string, headers: Headers, body: Buffer, nowMs: number): Admission {
    const partner = this.byId.get(id);
    if (!partner) return { ok: false, status: 404, message: `unknown partner ${id}` };
    return this.admit(partner, 'updates', headers, body, nowMs);
  }

  /** `POST /v1/carriers/{platform}/webhook`: the partner of that platform whose signature matches. */
  admitByPlatform(platform: CarrierPlatform, headers: Headers, body: Buffer, nowMs: number): Admission {
    const candidates = this.partners.filter((p) => p.platform === platform);
    if (!candidates.length) return { ok: false, status: 404, message: `no partner is configured for platform ${platform}` };
    let refusal = '';
    for (const p of candidates) {
      const verdict = verifyPartner(p, headers, body, nowMs);
      if (verdict.ok) return this.admitted(p, 'webhook', nowMs);
      refusal ||= verdict.reason;
    }
    return { ok: false, status: 401, message: refusal };
  }

  private admit(partner: Partner, route: PartnerRoute, headers: Headers, body: Buffer, nowMs: number): Admission {
    const verdict = verifyPartner(partner, headers, body, nowMs);
    if (!verdict.ok) return { ok: false, status: 401, message: verdict.reason };
    return this.admitted(partner, route, nowMs);
  }

  private admitted(partner: Partner, route: PartnerRoute, nowMs: number): Admission {
    if (!partner.routes.includes(route)) return { ok: false, status: 403, message: `partner ${partner.id} may not use the ${route} route (allowed: ${partner.routes.join(', ')})` };
    if (!this.buckets.get(partner.id)!.tryTake(1, nowMs)) {
      return { ok: false, status: 429, message: `over the rate of ${partner.ratePerSecond} requests/s of partner ${partner.id}`, retryAfterS: Math.max(1, Math.ceil(1 / partner.ratePerSecond)) };
    }
    return { ok: true, partner };
  }
}
