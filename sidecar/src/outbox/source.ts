import type { OdooClient } from '../odoo';
import {
  ackResultSchema,
  heartbeatResultSchema,
  registerResultSchema,
  unregisterResultSchema,
  nackResultSchema,
  parseClaim,
  parseRows,
  releaseResultSchema,
  statsSchema,
  waitResultSchema,
  type AckResult,
  type ClaimResult,
  type Failure,
  type NackResult,
  type OutboxEvent,
  type OutboxStats,
  type ReleaseResult,
  type WaitResult,
} from './event';
import type { RelayIdentity, RelayRegistry } from './membership';

export const OUTBOX_MODEL = 'logistics.bridge.event';
export const RELAY_REGISTRY_MODEL = 'logistics.bridge.relay';

export interface ReplayQuery {
  sinceId?: number;
  /** ISO 8601 time: events created at or after it. */
  since?: string;
  eventTypes?: string[];
  limit?: number;
}

/** What the relay needs from the outbox; the Odoo implementation below, fakes in unit tests. */
export interface OutboxSource {
  /** Acks `ackIds` first (as `ack` does, same Odoo transaction), then leases up to `limit` events. */
  claim(workerId: string, limit: number, leaseSeconds: number, ackIds?: number[], signal?: AbortSignal): Promise<ClaimResult>;
  ack(workerId: string, ids: number[]): Promise<AckResult>;
  nack(workerId: string, failures: Failure[]): Promise<NackResult>;
  release(workerId: string, ids: number[]): Promise<ReleaseResult>;
  wait(afterId: number, timeoutSeconds: number, signal?: AbortSignal): Promise<WaitResult>;
  stats(signal?: AbortSignal): Promise<OutboxStats>;
  replay(query: ReplayQuery, signal?: AbortSignal): Promise<OutboxEvent[]>;
}

/**
 * The addon's relay API over JSON-RPC (`execute_kw` as the service user). Thin: every answer is parsed
 * with zod at this boundary. ack, release and stats are idempotent and retried by the client after a
 * reset; claim and nack are not (a repeated claim only leases rows that then expire, a repeated nack
 * would count an attempt twice). Odoo 18 closes every HTTP connection, so a call costs a TCP connect
 * and an API-key check before any work: claim carries the previous batches' acks for that reason.
 */
export class OdooOutboxSource implements OutboxSource {
  constructor(private readonly odoo: OdooClient) {}

  async claim(workerId: string, limit: number, leaseSeconds: number, ackIds: number[] = [], signal?: AbortSignal): Promise<ClaimResult> {
    const kwargs: Record<string, unknown> = { limit, lease_seconds: leaseSeconds };
    if (ackIds.length) kwargs.ack_ids = ackIds;
    return parseClaim(await this.odoo.executeKw(OUTBOX_MODEL, 'relay_claim', [workerId], kwargs, { signal }));
  }

  async ack(workerId: string, ids: number[]): Promise<AckResult> {
    return ackResultSchema.parse(await this.odoo.executeKw(OUTBOX_MODEL, 'relay_ack', [workerId, ids], {}, { idempotent: true }));
  }

  async nack(workerId: string, failures: Failure[]): Promise<NackResult> {
    return nackResultSchema.parse(await this.odoo.executeKw(OUTBOX_MODEL, 'relay_nack', [workerId, failures]));
  }

  async release(workerId: string, ids: number[]): Promise<ReleaseResult> {
    return releaseResultSchema.parse(await this.odoo.executeKw(OUTBOX_MODEL, 'relay_release', [workerId, ids], {}, { idempotent: true }));
  }

  async wait(afterId: number, timeoutSeconds: number, signal?: AbortSignal): Promise<WaitResult> {
    return waitResultSchema.parse(await this.odoo.executeKw(OUTBOX_MODEL, 'relay_wait', [], { after_id: afterId, timeout: timeoutSeconds }, { idempotent: true, signal }));
  }

  async stats(signal?: AbortSignal): Promise<OutboxStats> {
    return statsSchema.parse(await this.odoo.executeKw(OUTBOX_MODEL, 'relay_stats', [], {}, { idempotent: true, signal }));
  }

  async replay(query: ReplayQuery, signal?: AbortSignal): Promise<OutboxEvent[]> {
    const kwargs: Record<string, unknown> = {};
    if (query.sinceId !== undefined) kwargs.since_id = query.sinceId;
    if (query.since !== undefined) kwargs.since = query.since;
    if (query.eventTypes?.length) kwargs.event_types = query.eventTypes;
    if (query.limit !== undefined) kwargs.limit = query.limit;
    const { events, malformed } = parseRows(await this.odoo.executeKw(OUTBOX_MODEL, 'relay_replay', [], kwargs, { idempotent: true, signal }));
    if (malformed.length) throw new Error(`relay_replay returned malformed rows: ${malformed.map((m) => `${m.id}: ${m.error}`).join('; ')}`);
    return events;
  }
}

/** The addon's relay registry over JSON-RPC; every call may be repeated (same instance, same outcome). */
export class OdooRelayRegistry implements RelayRegistry {
  constructor(private readonly odoo: OdooClient) {}

  async register(id: RelayIdentity, timeoutSeconds: number, replaces: string[]) {
    return registerResultSchema.parse(
      await this.odoo.executeKw(RELAY_REGISTRY_MODEL, 'relay_register', [id.workerId, id.instance, id.host, id.pid, id.incarnation, timeoutSeconds], { replaces }, { idempotent: true }),
    );
  }

  async heartbeat(workerId: string, instance: string) {
    return heartbeatResultSchema.parse(await this.odoo.executeKw(RELAY_REGISTRY_MODEL, 'relay_heartbeat', [workerId, instance], {}, { idempotent: true }));
  }

  async unregister(workerId: string, instance: string) {
    return unregisterResultSchema.parse(await this.odoo.executeKw(RELAY_REGISTRY_MODEL, 'relay_unregister', [workerId, instance], {}, { idempotent: true }));
  }
}
