/**
 * The ERP update contract: exactly what the Odoo addon applies (`logistics.bridge.update`). Field names
 * are snake_case because an update is the JSON body that lands on the `logistics.updates` queue and is
 * applied by Odoo as is. The relevance logic and the gateway produce it; adapters send its payloads.
 */
import type { Family } from './families';

export type PickingRef = { id: number } | { name: string };
/**
 * `work_ref` is the product reference the work gave the device (`product.product:<id>`, or the id as text):
 * Odoo looks it up first and falls back to the barcode / internal reference, so an answer with what the work
 * said still applies after the product's barcode changed. Optional: refs without it mean what they always did.
 */
export type ProductRef = { id: number } | { barcode: string; work_ref?: string } | { default_code: string; work_ref?: string } | { work_ref: string };
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
  'device.status': { status: DeviceStatusValue; family?: Family; warehouse?: string; error?: string };
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

export interface ErpUpdateOf<T extends ErpUpdateType> {
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
