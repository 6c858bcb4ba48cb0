/**
 * Pure conversions between the SDK's friendly shapes and the proto messages (as proto-loader encodes
 * them: snake_case, enums by name, 64-bit integers as decimal strings, oneofs by setting one member).
 */

export type Family = 'barcode' | 'sorter' | 'robot_fleet';

export const FAMILY_ENUM: Record<Family, string> = {
  barcode: 'FAMILY_BARCODE',
  sorter: 'FAMILY_SORTER',
  robot_fleet: 'FAMILY_ROBOT_FLEET',
};

export const SERVICE_NAMES: Record<Family, string> = {
  barcode: 'BarcodeGateway',
  sorter: 'SorterGateway',
  robot_fleet: 'RobotFleetGateway',
};

export type PickingRef = { id: number } | { name: string };
export type ProductRef = { id: number } | { barcode: string } | { default_code: string };
export type LocationRef = { id: number } | { barcode: string } | { name: string };
export interface Line {
  product: ProductRef;
  quantity: number;
  lot?: string;
  location?: LocationRef;
}

/** The ERP update payloads, the same contract the Odoo addon applies (see adapters/README.md). */
export interface UpdatePayloads {
  'device.status': { status: 'online' | 'offline' | 'error'; family?: Family; warehouse?: string; error?: string };
  'pick.confirmed': { picking: PickingRef; lines: Line[] };
  'pack.completed': { picking: PickingRef; sscc: string; weight_kg?: number; lines?: Line[] };
  'shipment.labelled': { picking: PickingRef; carrier: string; tracking_number: string; sscc?: string };
  'parcel.sorted': { sscc: string; picking?: PickingRef; chute: string; lane?: string };
  'shipment.dispatched': { picking: PickingRef; backorder?: 'create' | 'cancel'; lines?: Line[] };
  'receipt.counted': { picking: PickingRef; lines: Line[] };
  'task.failed': { picking?: PickingRef; reason: string; code?: string };
  'inventory.counted': { product: ProductRef; location: LocationRef; quantity: number; lot?: string };
}
export type UpdateType = keyof UpdatePayloads;

const PAYLOAD_FIELD: Record<UpdateType, string> = {
  'device.status': 'device_status',
  'pick.confirmed': 'pick_confirmed',
  'pack.completed': 'pack_completed',
  'shipment.labelled': 'shipment_labelled',
  'parcel.sorted': 'parcel_sorted',
  'shipment.dispatched': 'shipment_dispatched',
  'receipt.counted': 'receipt_counted',
  'task.failed': 'task_failed',
  'inventory.counted': 'inventory_counted',
};

export interface EnvelopeFields {
  adapterId: string;
  deviceId: string;
  sequence: number;
  idempotencyKey: string;
  correlationId: string;
  eventTimeMs: number;
}

export function envelopeMessage(e: EnvelopeFields): Record<string, unknown> {
  return {
    adapter_id: e.adapterId,
    device_id: e.deviceId,
    sequence: String(e.sequence),
    idempotency_key: e.idempotencyKey,
    correlation_id: e.correlationId,
    event_time_ms: String(e.eventTimeMs),
  };
}

/** The proto ErpUpdate payload member for an update: `{pick_confirmed: {...}}`. */
export function updatePayloadMessage<T extends UpdateType>(type: T, payload: UpdatePayloads[T]): Record<string, unknown> {
  const field = PAYLOAD_FIELD[type];
  if (!field) throw new TypeError(`unknown update type ${String(type)}`);
  let body: Record<string, unknown> = { ...payload };
  if (type === 'device.status') {
    const p = payload as UpdatePayloads['device.status'];
    body = { ...p, status: `STATUS_${p.status.toUpperCase()}`, family: p.family ? FAMILY_ENUM[p.family] : 'FAMILY_UNSPECIFIED' };
  } else if (type === 'shipment.dispatched') {
    const p = payload as UpdatePayloads['shipment.dispatched'];
    body = { ...p, backorder: p.backorder ? `BACKORDER_${p.backorder.toUpperCase()}` : 'BACKORDER_UNSPECIFIED' };
  }
  return { [field]: body };
}

/** int64 from the wire (string, or number when a caller converted it) to a JS number. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return 0;
}
