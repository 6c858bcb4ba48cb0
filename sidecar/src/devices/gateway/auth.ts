import { timingSafeEqual, createHash } from 'node:crypto';
import { PermissionDenied, RateLimited, Unauthenticated } from './errors';
import type { Family } from '@logistics-bridge/contract';
import type { GatewayTokens } from '../../config';

export interface Principal {
  adapterId: string;
  family?: Family;
  ratePerSecond: number;
  allows(deviceId: string): boolean;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Looks up bearer tokens in constant time per candidate; builds allowlist matchers once. */
export class Authenticator {
  private readonly entries: Array<{ digest: Buffer; principal: Principal }>;

  constructor(tokens: GatewayTokens) {
    this.entries = Object.entries(tokens).map(([adapterId, c]) => {
      const exact = new Set(c.devices.filter((d) => !d.endsWith('*')));
      const prefixes = c.devices.filter((d) => d.endsWith('*')).map((d) => d.slice(0, -1));
      return {
        digest: digest(c.token),
        principal: {
          adapterId,
          family: c.family,
          ratePerSecond: c.ratePerSecond,
          allows: (deviceId: string) => exact.has(deviceId) || prefixes.some((p) => deviceId.startsWith(p)),
        },
      };
    });
  }

  /** The principal of an `authorization` metadata value, or Unauthenticated. */
  authenticate(authorization: readonly unknown[]): Principal {
    if (authorization.length !== 1 || typeof authorization[0] !== 'string') throw new Unauthenticated('missing authorization: Bearer <token> metadata');
    const m = /^Bearer\s+(\S+)$/i.exec(authorization[0]);
    if (!m?.[1]) throw new Unauthenticated('authorization metadata must be "Bearer <token>"');
    const d = digest(m[1]);
    let found: Principal | undefined;
    for (const e of this.entries) if (timingSafeEqual(e.digest, d)) found = e.principal;
    if (!found) throw new Unauthenticated('unknown token');
    return found;
  }
}

/** Throws PermissionDenied when `deviceId` is outside the principal's allowlist. */
export function checkDevice(principal: Principal, deviceId: string, fieldPath: string): void {
  if (!principal.allows(deviceId)) throw new PermissionDenied(`device ${deviceId} is not allowed for adapter ${principal.adapterId}`, fieldPath);
}

/**
 * A token bucket: `ratePerSecond` tokens per second, bursts up to `burst`. Pure: the clock is a
 * parameter. Shared by all streams of one adapter.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number = Math.max(1, ratePerSecond),
    now: number = Date.now(),
  ) {
    this.tokens = this.burst;
    this.last = now;
  }

  /** Takes `n` tokens if available. */
  tryTake(n = 1, now: number = Date.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Throws RateLimited when empty. */
  take(now?: number): void {
    if (!this.tryTake(1, now)) throw new RateLimited(`rate limit of ${this.ratePerSecond} messages/s exceeded; send again later with a new sequence and the same idempotency key`);
  }
}
