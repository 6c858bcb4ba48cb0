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

/** The one delivery status set every carrier platform's tracking is normalised to (partner ingress, Flow 4). */
export const DELIVERY_STATUSES = ['pre_transit', 'in_transit', 'out_for_delivery', 'delivered', 'failed_attempt', 'exception', 'returned'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A purchase order (the advance ship notice names the order, or the receipt it announces). */
export type OrderRef = { id: number } | { name: string };

/** A proof-of-delivery image or document, inline (capped: `MAX_ATTACHMENT_BYTES` decoded). */
export interface Attachment {
  content_type: 'image/png' | 'image/jpeg' | 'image/svg+xml' | 'application/pdf';
  data_base64: string;
}

/**
 * The shipment a carrier statement is about: the picking, its tracking number, or both (at least one).
 * A tracking number with a check digit (UPU S10, UPS 1Z) must be a valid one.
 */
export interface ShipmentTarget {
  picking?: PickingRef;
  tracking_number?: string;
}

export interface AnnouncedLine {
  product: ProductRef;
  quantity: number;
  lots?: string[];
  ssccs?: string[];
}

/** What device adapters send over the gRPC gateway (each has a member in the protos' ErpUpdate oneof). */
export interface DeviceErpPayloads {
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

/** What only partners send, through the partner doors (Flow 4, docs/partners.md); event_time is the carrier's or partner's own time. */
export interface PartnerErpPayloads {
  'shipment.tracking': ShipmentTarget & { carrier: string; status: DeliveryStatus; carrier_status: string; description?: string; location?: string };
  'shipment.delivered': ShipmentTarget & {
    carrier?: string;
    carrier_status?: string;
    /** ISO 8601: when the parcel was handed over. */
    delivered_at: string;
    received_by?: string;
    location?: string;
    signature?: Attachment;
    photo?: Attachment;
  };
  'order.acknowledged': { picking: PickingRef; external_ref?: string };
  'order.refused': { picking: PickingRef; reason: string; code?: string; external_ref?: string };
  'receipt.announced': {
    /** The purchase order, or the receipt (incoming picking) it announces; at least one. */
    purchase_order?: OrderRef;
    receipt?: PickingRef;
    /** The supplier's notice number (DESADV / ASN id). */
    asn_ref: string;
    /** ISO 8601 date (2026-12-03) or date-time. */
    expected_date: string;
    lines: AnnouncedLine[];
  };
}

/** Every update Odoo applies: the device ones and the partner ones. */
export interface ErpPayloads extends DeviceErpPayloads, PartnerErpPayloads {}

export type ErpUpdateType = keyof ErpPayloads;
export type DeviceUpdateType = keyof DeviceErpPayloads;

export const DEVICE_UPDATE_TYPES: readonly DeviceUpdateType[] = [
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

export const ERP_UPDATE_TYPES: readonly ErpUpdateType[] = [
  ...DEVICE_UPDATE_TYPES,
  'shipment.tracking',
  'shipment.delivered',
  'order.acknowledged',
  'order.refused',
  'receipt.announced',
];

/** The types a partner (warehouse system, carrier platform, supplier) may send through the partner doors. */
export const PARTNER_UPDATE_TYPES: readonly ErpUpdateType[] = [
  'shipment.tracking',
  'shipment.delivered',
  'order.acknowledged',
  'order.refused',
  'receipt.announced',
  'pick.confirmed',
  'pack.completed',
  'shipment.labelled',
  'shipment.dispatched',
  'receipt.counted',
  'task.failed',
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
