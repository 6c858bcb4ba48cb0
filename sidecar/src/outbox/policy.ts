import { ZodError } from 'zod';
import { OdooAccessError, OdooAuthError, OdooError, OdooServerError, OdooTransportError, OdooUserError } from '../odoo';
import { backoffDelay, type BackoffPolicy } from '../retry';

/** How a relay-loop failure is reported and retried. */
export type FailureKind = 'auth' | 'access' | 'transport' | 'server' | 'protocol' | 'other';

export function failureKind(err: unknown): FailureKind {
  if (err instanceof OdooAuthError) return 'auth';
  if (err instanceof OdooAccessError) return 'access';
  if (err instanceof OdooTransportError) return 'transport';
  if (err instanceof OdooServerError || err instanceof OdooUserError || err instanceof OdooError) return 'server';
  if (err instanceof ZodError || err instanceof TypeError) return 'protocol';
  return 'other';
}

/**
 * Configuration problems (a wrong API key, missing rights, an addon that answers another contract) are
 * not fixed by hammering Odoo: they back off slower than an outage, but the relay never gives up, so it
 * recovers by itself once the admin fixes them.
 */
export const RETRY_POLICIES: Readonly<Record<FailureKind, BackoffPolicy>> = {
  auth: { baseMs: 5_000, maxMs: 60_000 },
  access: { baseMs: 5_000, maxMs: 60_000 },
  protocol: { baseMs: 5_000, maxMs: 60_000 },
  transport: { baseMs: 500, maxMs: 15_000 },
  server: { baseMs: 1_000, maxMs: 30_000 },
  other: { baseMs: 1_000, maxMs: 30_000 },
};

/** Delay before the next loop iteration after `consecutive` failures in a row (0 = the first). */
export function retryDelay(consecutive: number, kind: FailureKind, random: () => number = Math.random): number {
  return backoffDelay(consecutive, RETRY_POLICIES[kind], random);
}

/** A line an operator can act on, per kind. */
export function describeFailure(kind: FailureKind, stage: string): string {
  switch (kind) {
    case 'auth':
      return `Odoo refused the service user's credentials during ${stage}: check ODOO_LOGIN and ODOO_API_KEY; retrying`;
    case 'access':
      return `the service user lacks the logistics bridge service group (${stage}); retrying`;
    case 'transport':
      return `Odoo is unreachable (${stage}); retrying`;
    case 'protocol':
      return `Odoo answered ${stage} with an unexpected shape (addon version mismatch?); retrying`;
    default:
      return `Odoo failed during ${stage}; retrying`;
  }
}
