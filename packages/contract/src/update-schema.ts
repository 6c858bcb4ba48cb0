import { z } from 'zod';
import { hasValidCheckDigit } from './gs1';
import { FAMILIES } from './families';
import { trackingNumberProblem } from './tracking-number';
import { DELIVERY_STATUSES, ERP_UPDATE_TYPES, type ErpPayloads, type ErpUpdate, type ErpUpdateType } from './updates';

/**
 * The zod schema of one ERP update as it travels as JSON (the body of a `logistics.updates` message,
 * one element of Odoo's `apply_batch`). It is typed against the contract's TypeScript types
 * (`ErpPayloads`, `ErpUpdate`), so the two cannot drift apart; the gateway produces exactly this shape
 * and the inbound applier validates every message body with it before anything reaches Odoo.
 *
 * It checks structure and the rules the gateway enforces on the way in (key charset, SSCC check digit,
 * positive quantities); whether a picking or product exists is Odoo's answer (`rejected`).
 */

/** Building blocks shared with the adapter message schemas (messages.ts) and their fast path (fast.ts). */
export const KEY_TEXT = /^[A-Za-z0-9._:/-]{1,200}$/;
export const ID_TEXT = /^[A-Za-z0-9._:/@#-]{1,200}$/;
/** The last millisecond of year 9999: the latest time the contract accepts (an ISO 8601 date has four year digits). */
export const MAX_TIME_MS = 253_402_300_799_999;

const odooId = z.number().int().positive();
const refText = z.string().min(1, 'must not be empty').max(200);
export const finite = z.number().refine(Number.isFinite, 'must be finite');
export const positive = finite.refine((n) => n > 0, 'must be > 0');
export const sscc = z
  .string()
  .regex(/^\d{18}$/, 'SSCC must be 18 digits')
  .refine(hasValidCheckDigit, 'SSCC check digit is wrong');

const pickingRef = z.union([z.strictObject({ id: odooId }), z.strictObject({ name: refText })], 'expected {"id"} or {"name"}');
/** `product.product:<id>` or the bare id: the product reference a work line gave (updates.ts, ProductRef). */
export const WORK_REF = /^(product\.product:)?[1-9]\d{0,9}$/;
const workRef = z.string().regex(WORK_REF, 'must be "product.product:<id>" or a product id');
const productRef = z.union(
  [z.strictObject({ id: odooId }), z.strictObject({ barcode: refText, work_ref: workRef.optional() }), z.strictObject({ default_code: refText, work_ref: workRef.optional() }), z.strictObject({ work_ref: workRef })],
  'expected {"id"}, {"barcode"}, {"default_code"} or {"work_ref"} (work_ref also next to barcode or default_code)',
);
const locationRef = z.union([z.strictObject({ id: odooId }), z.strictObject({ barcode: refText }), z.strictObject({ name: refText })], 'expected {"id"}, {"barcode"} or {"name"}');
const lot = z.string().min(1).max(100);
const lines = <T extends z.ZodType>(line: T) => z.array(line).min(1, 'required: at least one line').max(1000);
const productLine = z.object({ product: productRef, quantity: positive, lot: lot.optional() });
const isoTime = z.iso.datetime({ offset: true, message: 'required: ISO 8601 date-time' });

/** Largest proof-of-delivery attachment, decoded (the base64 text is a third larger). */
export const MAX_ATTACHMENT_BYTES = 256 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const attachment = z.object({
  content_type: z.enum(['image/png', 'image/jpeg', 'image/svg+xml', 'application/pdf']),
  data_base64: z
    .string()
    .min(4, 'required: base64 data')
    .max(Math.ceil(MAX_ATTACHMENT_BYTES / 3) * 4, `over ${MAX_ATTACHMENT_BYTES} bytes decoded`)
    .refine((v) => v.length % 4 === 0 && BASE64.test(v), 'must be base64 (RFC 4648, padded)'),
});
/** A tracking number; one whose format has a check digit (UPU S10, UPS 1Z) must carry the right one. */
export const trackingNumber = z
  .string()
  .min(1, 'must not be empty')
  .max(64)
  .superRefine((v, ctx) => {
    const problem = trackingNumberProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
const target = { picking: pickingRef.optional(), tracking_number: trackingNumber.optional() };
const needsTarget = (p: { picking?: unknown; tracking_number?: unknown }) => p.picking !== undefined || p.tracking_number !== undefined;
const TARGET_MESSAGE = { message: 'required: picking or tracking_number', path: ['picking'] };
const orderRef = z.union([z.strictObject({ id: odooId }), z.strictObject({ name: refText })], 'expected {"id"} or {"name"}');
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const announcedLine = z.object({
  product: productRef,
  quantity: positive,
  lots: z.array(lot).max(1000).optional(),
  ssccs: z.array(sscc).max(1000).optional(),
});

const PAYLOADS: { [T in ErpUpdateType]: z.ZodType<ErpPayloads[T]> } = {
  'device.status': z.object({
    status: z.enum(['online', 'offline', 'error']),
    family: z.enum(FAMILIES).optional(),
    warehouse: z.string().max(50).optional(),
    error: z.string().max(1000).optional(),
  }),
  'pick.confirmed': z.object({ picking: pickingRef, lines: lines(z.object({ product: productRef, quantity: positive, lot: lot.optional(), location: locationRef.optional() })) }),
  'pack.completed': z.object({ picking: pickingRef, sscc, weight_kg: positive.optional(), lines: lines(z.object({ product: productRef, quantity: positive })).optional() }),
  'shipment.labelled': z.object({ picking: pickingRef, carrier: refText, tracking_number: refText, sscc: sscc.optional() }),
  'parcel.sorted': z.object({ sscc, picking: pickingRef.optional(), chute: refText, lane: z.string().max(100).optional() }),
  'shipment.dispatched': z.object({ picking: pickingRef, backorder: z.enum(['create', 'cancel']).optional(), lines: lines(productLine).optional() }),
  'receipt.counted': z.object({ picking: pickingRef, lines: lines(productLine) }),
  'task.failed': z.object({ picking: pickingRef.optional(), reason: z.string().min(1, 'required').max(1000), code: z.string().max(100).optional() }),
  'inventory.counted': z.object({ product: productRef, location: locationRef, quantity: finite.refine((n) => n >= 0, 'must be >= 0'), lot: lot.optional() }),
  'shipment.tracking': z
    .object({
      ...target,
      carrier: refText,
      status: z.enum(DELIVERY_STATUSES),
      carrier_status: z.string().min(1, 'required').max(200),
      description: z.string().max(1000).optional(),
      location: z.string().max(500).optional(),
    })
    .refine(needsTarget, TARGET_MESSAGE),
  'shipment.delivered': z
    .object({
      ...target,
      carrier: refText.optional(),
      carrier_status: z.string().max(200).optional(),
      delivered_at: isoTime,
      received_by: z.string().max(200).optional(),
      location: z.string().max(500).optional(),
      signature: attachment.optional(),
      photo: attachment.optional(),
    })
    .refine(needsTarget, TARGET_MESSAGE),
  'order.acknowledged': z.object({ picking: pickingRef, external_ref: z.string().max(200).optional() }),
  'order.refused': z.object({ picking: pickingRef, reason: z.string().min(1, 'required').max(1000), code: z.string().max(100).optional(), external_ref: z.string().max(200).optional() }),
  'receipt.announced': z
    .object({
      purchase_order: orderRef.optional(),
      receipt: pickingRef.optional(),
      asn_ref: refText,
      expected_date: z.string().refine((v) => (ISO_DATE.test(v) && !Number.isNaN(Date.parse(v))) || isoTime.safeParse(v).success, 'required: ISO 8601 date or date-time'),
      lines: lines(announcedLine),
    })
    .refine((p) => p.purchase_order !== undefined || p.receipt !== undefined, { message: 'required: purchase_order or receipt', path: ['purchase_order'] }),
};

const envelope = {
  idempotency_key: z.string().regex(KEY_TEXT, 'required: 1..200 characters of [A-Za-z0-9._:/-]'),
  adapter_id: z.string().regex(ID_TEXT, 'required: 1..200 characters of [A-Za-z0-9._:/@#-]'),
  device_id: z.string().regex(ID_TEXT, 'required: 1..200 characters of [A-Za-z0-9._:/@#-]'),
  correlation_id: z.string().max(200).nullable(),
  event_time: isoTime,
};

const variant = <T extends ErpUpdateType>(type: T) => z.object({ ...envelope, type: z.literal(type), payload: PAYLOADS[type] });

/** One ERP update; `type` selects the payload schema. */
export const erpUpdateSchema: z.ZodType<ErpUpdate> = z.discriminatedUnion(
  'type',
  [
    variant('device.status'),
    variant('pick.confirmed'),
    variant('pack.completed'),
    variant('shipment.labelled'),
    variant('parcel.sorted'),
    variant('shipment.dispatched'),
    variant('receipt.counted'),
    variant('task.failed'),
    variant('inventory.counted'),
    variant('shipment.tracking'),
    variant('shipment.delivered'),
    variant('order.acknowledged'),
    variant('order.refused'),
    variant('receipt.announced'),
  ],
  { error: (issue) => (issue.code === 'invalid_union' ? `unknown update type; expected one of ${ERP_UPDATE_TYPES.join(', ')}` : undefined) },
);

export type UpdateCheck = { ok: true; update: ErpUpdate } | { ok: false; path: string; message: string };

/** Validates an update body (already JSON-parsed); on failure names the first bad field ("payload.lines[0].quantity"). */
export function checkErpUpdate(raw: unknown): UpdateCheck {
  const r = erpUpdateSchema.safeParse(raw);
  if (r.success) return { ok: true, update: r.data };
  const issue = r.error.issues[0];
  let path = '';
  for (const p of issue?.path ?? []) path += typeof p === 'number' ? `[${p}]` : path ? `.${String(p)}` : String(p);
  return { ok: false, path, message: issue?.message ?? 'invalid' };
}
