/**
 * Building the output of the relevance logic (updates of the ERP contract, see ../contract) and
 * counting what it dropped.
 */
import type { ErpPayloads, ErpUpdate, ErpUpdateOf, ErpUpdateType } from '@logistics-bridge/contract';

/** Where an update comes from; the same source always yields the same idempotency key. */
export interface UpdateSource {
  adapterId: string;
  deviceId: string;
  correlationId: string | null;
  eventTimeMs: number;
}

export function makeUpdate<T extends ErpUpdateType>(type: T, key: string, source: UpdateSource, payload: ErpPayloads[T]): ErpUpdate {
  const update: ErpUpdateOf<T> = {
    idempotency_key: key,
    type,
    adapter_id: source.adapterId,
    device_id: source.deviceId,
    correlation_id: source.correlationId,
    event_time: new Date(source.eventTimeMs).toISOString(),
    payload,
  };
  return update as unknown as ErpUpdate;
}

/**
 * Idempotency keys are built from stable source facts only (adapter, device, sequence, task id,
 * milestone, SSCC), never from wall-clock time or counters local to this process, so a replayed stream
 * produces the same keys and Odoo applies each event once. Parts are joined with ':' and characters
 * outside the envelope's key alphabet are replaced so keys stay valid.
 */
export function idempotencyKey(...parts: Array<string | number>): string {
  const key = parts.map((p) => String(p).replace(/[^A-Za-z0-9._/-]/g, '_')).join(':');
  return key.length <= 200 ? key : `${key.slice(0, 150)}:${fnv1a(key)}`;
}

// Short stable hash for keys that would exceed the 200-character limit.
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** Why a telemetry message produced no ERP update; the gateway exports these as metric labels. */
export type DropReason =
  | 'heartbeat_unchanged'
  | 'duplicate_scan'
  | 'invalid_barcode'
  | 'unexpected_item'
  | 'scan_buffered'
  | 'no_read'
  | 'recirculation'
  | 'duplicate_divert'
  | 'sorter_event'
  | 'robot_position'
  | 'robot_battery'
  | 'robot_unchanged'
  | 'robot_progress'
  | 'late_after_terminal'
  | 'unsupported';

export type DropCounters = Record<DropReason, number>;

export function emptyDropCounters(): DropCounters {
  return {
    heartbeat_unchanged: 0,
    duplicate_scan: 0,
    invalid_barcode: 0,
    unexpected_item: 0,
    scan_buffered: 0,
    no_read: 0,
    recirculation: 0,
    duplicate_divert: 0,
    sorter_event: 0,
    robot_position: 0,
    robot_battery: 0,
    robot_unchanged: 0,
    robot_progress: 0,
    late_after_terminal: 0,
    unsupported: 0,
  };
}
