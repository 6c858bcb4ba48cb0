/**
 * The output of the relevance logic: exactly the apply contract of the Odoo addon
 * (`logistics.bridge.update`). Field names are snake_case because this object is the JSON body that
 * lands on the `logistics.updates` queue and is applied by Odoo as is.
 */

export type PickingRef = { id: number } | { name: string };
export type ProductRef = { id: number } | { barcode: string } | { default_code: string };
export type LocationRef = { id: number } | { barcode: string } | { name: string };

export interface PickLine {
  product: ProductRef;
  quantity: number;
  lot?: string;
  location?: LocationRef;
}
export interface ProductLine {
  product: ProductRef;
  quantity: number;
  lot?: string;
}

export type DeviceStatusValue = 'online' | 'offline' | 'error';

export interface ErpPayloads {
  'device.status': { status: DeviceStatusValue; family?: string; warehouse?: string; error?: string };
  'pick.confirmed': { picking: PickingRef; lines: PickLine[] };
  'pack.completed': { picking: PickingRef; sscc: string; weight_kg?: number; lines?: Array<{ product: ProductRef; quantity: number }> };
  'shipment.labelled': { picking: PickingRef; carrier: string; tracking_number: string; sscc?: string };
  'parcel.sorted': { sscc: string; picking?: PickingRef; chute: string; lane?: string };
  'shipment.dispatched': { picking: PickingRef; backorder?: 'create' | 'cancel'; lines?: ProductLine[] };
  'receipt.counted': { picking: PickingRef; lines: ProductLine[] };
  'task.failed': { picking?: PickingRef; reason: string; code?: string };
  'inventory.counted': { product: ProductRef; location: LocationRef; quantity: number; lot?: string };
}

export type ErpUpdateType = keyof ErpPayloads;

export const ERP_UPDATE_TYPES: readonly ErpUpdateType[] = [
  'device.status',
  'pick.confirmed',
  'pack.completed',
  'shipment.labelled',
  'parcel.sorted',
  'shipment.dispatched',
  'receipt.counted',
  'task.failed',
  'inventory.counted',
];

interface ErpUpdateOf<T extends ErpUpdateType> {
  idempotency_key: string;
  type: T;
  adapter_id: string;
  device_id: string;
  correlation_id: string | null;
  /** ISO 8601 UTC, from the device's event time. */
  event_time: string;
  payload: ErpPayloads[T];
}

/** A discriminated union: narrowing on `type` narrows `payload`. */
export type ErpUpdate = { [T in ErpUpdateType]: ErpUpdateOf<T> }[ErpUpdateType];

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
