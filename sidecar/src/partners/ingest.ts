import { z } from 'zod';
import { checkErpUpdate, ERP_UPDATE_TYPES, type ErpUpdate } from '@logistics-bridge/contract';
import type { Partner } from '../config/partners';
import { normaliseCarrierWebhook, type CarrierPlatform } from './carriers';

/**
 * From what a partner sent to the ERP updates of the contract, pure. Both doors (HTTP and AMQP) send
 * the same item: `{idempotency_key, type, correlation_id?, event_time, payload}`; the door adds who
 * sent it. The partner id becomes `adapter_id: "partner:<id>"` and `device_id: "<id>"`, and the key
 * becomes `partner:<id>:<key>`, so two partners (or a partner and a device) can never share a key.
 * Carrier webhooks become `shipment.tracking` (or `shipment.delivered` for a delivery) with the key
 * `trackingKey` derives from the carrier's statement, the same whichever copy of the webhook arrives.
 */

export type Ingested = { ok: true; updates: ErpUpdate[] } | { ok: false; status: 403 | 422; path: string; message: string };
export type WebhookIngested = Ingested | { ok: true; updates: []; ignored: string };

const KEY_PART = /^[A-Za-z0-9._:/-]{1,120}$/;
const item = z.strictObject({
  idempotency_key: z.string().regex(KEY_PART, 'required: 1..120 characters of [A-Za-z0-9._:/-]'),
  type: z.string().min(1, 'required'),
  correlation_id: z.string().max(200).nullable().optional(),
  event_time: z.string().min(1, 'required: ISO 8601 date-time'),
  payload: z.unknown(),
});
const batch = z.strictObject({ updates: z.array(z.unknown()).min(1, 'required: at least one update').max(500, 'at most 500 updates per request') });

function pathOf(issuePath: readonly PropertyKey[]): string {
  let path = '';
  for (const p of issuePath) path += typeof p === 'number' ? `[${p}]` : path ? `.${String(p)}` : String(p);
  return path;
}
const under = (prefix: string, path: string) => (!prefix ? path : !path ? prefix : path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`);

export const partnerAdapterId = (partner: Pick<Partner, 'id'>) => `partner:${partner.id}`;

/** One partner item as an ERP update; `at` is where it sits in what was sent ("updates[3]", or "" for an AMQP message). */
export function partnerUpdate(partner: Partner, raw: unknown, at = ''): Ingested {
  const shape = item.safeParse(raw);
  if (!shape.success) {
    const issue = shape.error.issues[0];
    return { ok: false, status: 422, path: under(at, pathOf(issue?.path ?? [])) || '(body)', message: issue?.message ?? 'invalid' };
  }
  const it = shape.data;
  // A type of the contract this partner may not send is a permission, not a malformed body.
  if ((ERP_UPDATE_TYPES as readonly string[]).includes(it.type) && !(partner.types as readonly string[]).includes(it.type)) {
    return { ok: false, status: 403, path: under(at, 'type'), message: `partner ${partner.id} may not send ${it.type} (allowed: ${partner.types.join(', ')})` };
  }
  const check = checkErpUpdate({ ...envelope(partner, it.idempotency_key, it.event_time), correlation_id: it.correlation_id ?? null, type: it.type, payload: it.payload });
  if (!check.ok) return { ok: false, status: 422, path: under(at, check.path) || '(body)', message: check.message };
  return { ok: true, updates: [{ ...check.update, event_time: new Date(check.update.event_time).toISOString() }] };
}

function envelope(partner: Partner, key: string, eventTime: string) {
  return { idempotency_key: `${partnerAdapterId(partner)}:${key}`, adapter_id: partnerAdapterId(partner), device_id: partner.id, correlation_id: null, event_time: eventTime };
}

/** The body of `POST /v1/partners/{partner}/updates`: all of it valid, or the first bad field (nothing is published then). */
export function partnerBatch(partner: Partner, body: unknown): Ingested {
  const b = batch.safeParse(body);
  if (!b.success) {
    const issue = b.error.issues[0];
    return { ok: false, status: 422, path: pathOf(issue?.path ?? []) || '(body)', message: issue?.message ?? 'invalid' };
  }
  const updates: ErpUpdate[] = [];
  const keys = new Set<string>();
  for (let i = 0; i < b.data.updates.length; i++) {
    const one = partnerUpdate(partner, b.data.updates[i], `updates[${i}]`);
    if (!one.ok) return one;
    const u = one.updates[0]!;
    if (keys.has(u.idempotency_key)) return { ok: false, status: 422, path: `updates[${i}].idempotency_key`, message: 'the same key twice in one request' };
    keys.add(u.idempotency_key);
    updates.push(u);
  }
  return { ok: true, updates };
}

/** A carrier platform's tracking webhook as one update (none when the event carries no delivery state). */
export function carrierWebhook(partner: Partner, platform: CarrierPlatform, body: unknown): WebhookIngested {
  const n = normaliseCarrierWebhook(platform, body);
  if (n.kind === 'invalid') return { ok: false, status: 422, path: n.path, message: n.message };
  if (n.kind === 'ignored') return { ok: true, updates: [], ignored: n.reason };
  const t = n.tracking;
  const common = { idempotency_key: n.idempotencyKey, adapter_id: partnerAdapterId(partner), device_id: partner.id, correlation_id: null, event_time: t.event_time };
  const raw =
    t.status === 'delivered'
      ? { ...common, type: 'shipment.delivered', payload: { tracking_number: t.tracking_number, carrier: t.carrier, carrier_status: t.carrier_status, delivered_at: t.event_time, received_by: t.received_by, location: t.location } }
      : { ...common, type: 'shipment.tracking', payload: { tracking_number: t.tracking_number, carrier: t.carrier, status: t.status, carrier_status: t.carrier_status, description: t.description, location: t.location } };
  const check = checkErpUpdate(JSON.parse(JSON.stringify(raw)));
  if (!check.ok) return { ok: false, status: 422, path: check.path, message: check.message };
  if (!partner.types.includes(check.update.type)) return { ok: false, status: 403, path: 'type', message: `partner ${partner.id} may not send ${check.update.type}` };
  return { ok: true, updates: [{ ...check.update, event_time: new Date(check.update.event_time).toISOString() }] };
}
