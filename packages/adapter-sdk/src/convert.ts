/**
 * Pure conversions between the SDK's friendly shapes and the proto messages (as proto-loader encodes
 * them: snake_case, enums by name, 64-bit integers as decimal strings, oneofs by setting one member).
 * The update payloads are the ERP update contract the Odoo addon applies (see adapters/README.md).
 */
import type { DeviceErpPayloads as UpdatePayloads, DeviceUpdateType as UpdateType, Family } from '@logistics-bridge/contract';

export const FAMILY_ENUM: Record<Family, string> = {
  barcode: 'FAMILY_BARCODE',
  sorter: 'FAMILY_SORTER',
  robot_fleet: 'FAMILY_ROBOT_FLEET',
};

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
