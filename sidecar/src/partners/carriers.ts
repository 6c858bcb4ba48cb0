import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DELIVERY_STATUSES, trackingNumber, type DeliveryStatus } from '@logistics-bridge/contract';

/**
 * Tracking webhooks of the common multi-carrier platforms, normalised to one status set. Pure: a body
 * (already parsed JSON) goes in, one normalised tracking fact (or a reason it carries none, or the
 * field path of what is wrong) comes out. The HTTP door, authentication and durability live elsewhere.
 *
 * Each platform sends the shipment's current status with its history; the fact taken is the current
 * status at the time of the newest history entry. Its idempotency key is derived from what the carrier
 * said (platform, tracking number, status, time), not from the delivery of the webhook, so a webhook
 * sent again, or an overlapping one from another subscription, changes nothing in Odoo.
 */

export { DELIVERY_STATUSES, type DeliveryStatus };

export interface CarrierTracking {
  platform: CarrierPlatform;
  carrier: string;
  tracking_number: string;
  status: DeliveryStatus;
  /** The platform's own status (and sub-status) code, kept for people and audits. */
  carrier_status: string;
  description?: string;
  location?: string;
  /** Who signed for the parcel (proof of delivery), when the platform says. */
  received_by?: string;
  event_time: string;
}

export type NormaliseResult =
  | { kind: 'tracking'; tracking: CarrierTracking; idempotencyKey: string }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; path: string; message: string };

const text = z.string().min(1).max(500);
const time = z.iso.datetime({ offset: true, local: true, message: 'must be an ISO 8601 date-time' });

const place = (parts: Array<string | null | undefined>) => parts.filter((p) => p && p.trim()).join(', ') || undefined;
const latest = <T>(items: T[], at: (item: T) => string): T | undefined =>
  items.reduce<T | undefined>((best, item) => (best === undefined || Date.parse(at(item)) >= Date.parse(at(best)) ? item : best), undefined);

// ---------------------------------------------------------------- EasyPost (Event with a Tracker result)
const easyPostLocation = z.object({ city: z.string().nullish(), state: z.string().nullish(), country: z.string().nullish(), zip: z.string().nullish() }).nullish();
const easyPost = z.object({
  object: z.literal('Event'),
  description: z.string(),
  result: z.object({
    object: z.literal('Tracker'),
    tracking_code: trackingNumber,
    carrier: text,
    status: z.string(),
    status_detail: z.string().nullish(),
    signed_by: z.string().nullish(),
    updated_at: time.optional(),
    tracking_details: z.array(z.object({ status: z.string(), message: z.string().nullish(), datetime: time, tracking_location: easyPostLocation })).default([]),
  }),
});
const EASYPOST_STATUS: Record<string, DeliveryStatus> = {
  pre_transit: 'pre_transit',
  in_transit: 'in_transit',
  out_for_delivery: 'out_for_delivery',
  available_for_pickup: 'out_for_delivery',
  delivered: 'delivered',
  return_to_sender: 'returned',
  failure: 'exception',
  error: 'exception',
  cancelled: 'exception',
};

function fromEasyPost(body: z.infer<typeof easyPost>): CarrierTracking | string {
  const { result } = body;
  if (!body.description.startsWith('tracker.')) return `event ${body.description} is not about tracking`;
  const status = EASYPOST_STATUS[result.status];
  if (!status) return `status ${result.status} carries no delivery state`;
  const detail = latest(result.tracking_details, (d) => d.datetime);
  const eventTime = detail?.datetime ?? result.updated_at;
  if (!eventTime) return 'no time: neither tracking_details nor updated_at';
  const loc = detail?.tracking_location;
  return {
    platform: 'easypost',
    carrier: result.carrier,
    tracking_number: result.tracking_code,
    status,
    carrier_status: result.status_detail ? `${result.status}/${result.status_detail}` : result.status,
    description: detail?.message ?? undefined,
    location: place([loc?.city, loc?.state, loc?.zip, loc?.country]),
    received_by: (status === 'delivered' && result.signed_by) || undefined,
    event_time: eventTime,
  };
}

// ---------------------------------------------------------------- Shippo (track_updated)
const shippoLocation = z.object({ city: z.string().nullish(), state: z.string().nullish(), zip: z.string().nullish(), country: z.string().nullish() }).nullish();
const shippoStatus = z.object({
  status: z.string(),
  status_details: z.string().nullish(),
  status_date: time,
  substatus: z.object({ code: z.string() }).nullish(),
  location: shippoLocation,
});
const shippo = z.object({
  event: z.string(),
  data: z.object({ carrier: text, tracking_number: trackingNumber, tracking_status: shippoStatus }),
});
const SHIPPO_STATUS: Record<string, DeliveryStatus> = {
  PRE_TRANSIT: 'pre_transit',
  TRANSIT: 'in_transit',
  DELIVERED: 'delivered',
  RETURNED: 'returned',
  FAILURE: 'exception',
};
const SHIPPO_SUBSTATUS: Record<string, DeliveryStatus> = {
  out_for_delivery: 'out_for_delivery',
  delivery_attempted: 'failed_attempt',
  available_for_pickup: 'out_for_delivery',
  return_to_sender: 'returned',
};

function fromShippo(body: z.infer<typeof shippo>): CarrierTracking | string {
  if (body.event !== 'track_updated') return `event ${body.event} is not about tracking`;
  const s = body.data.tracking_status;
  const sub = s.substatus?.code;
  const status = (sub && s.status === 'TRANSIT' ? SHIPPO_SUBSTATUS[sub] : undefined) ?? SHIPPO_STATUS[s.status];
  if (!status) return `status ${s.status} carries no delivery state`;
  return {
    platform: 'shippo',
    carrier: body.data.carrier,
    tracking_number: body.data.tracking_number,
    status,
    carrier_status: sub ? `${s.status}/${sub}` : s.status,
    description: s.status_details ?? undefined,
    location: place([s.location?.city, s.location?.state, s.location?.zip, s.location?.country]),
    event_time: s.status_date,
  };
}

// ---------------------------------------------------------------- AfterShip (tracking_update)
const afterShip = z.object({
  event: z.string(),
  msg: z.object({
    tracking_number: trackingNumber,
    slug: text,
    tag: z.string(),
    subtag: z.string().nullish(),
    signed_by: z.string().nullish(),
    checkpoints: z
      .array(
        z.object({
          checkpoint_time: time,
          tag: z.string().nullish(),
          message: z.string().nullish(),
          city: z.string().nullish(),
          state: z.string().nullish(),
          zip: z.string().nullish(),
          country_iso3: z.string().nullish(),
        }),
      )
      .min(1, 'required: at least one checkpoint'),
  }),
});
const AFTERSHIP_TAG: Record<string, DeliveryStatus> = {
  InfoReceived: 'pre_transit',
  InTransit: 'in_transit',
  OutForDelivery: 'out_for_delivery',
  AvailableForPickup: 'out_for_delivery',
  AttemptFail: 'failed_attempt',
  Delivered: 'delivered',
  Exception: 'exception',
  Expired: 'exception',
};
/** Exception sub-tags that AfterShip documents as the parcel going back to the shipper. */
const AFTERSHIP_RETURNED = new Set(['Exception_010', 'Exception_011']);

function fromAfterShip(body: z.infer<typeof afterShip>): CarrierTracking | string {
  if (body.event !== 'tracking_update') return `event ${body.event} is not about tracking`;
  const { msg } = body;
  const status = msg.subtag && AFTERSHIP_RETURNED.has(msg.subtag) ? 'returned' : AFTERSHIP_TAG[msg.tag];
  if (!status) return `tag ${msg.tag} carries no delivery state`;
  const checkpoint = latest(msg.checkpoints, (c) => c.checkpoint_time)!;
  return {
    platform: 'aftership',
    carrier: msg.slug,
    tracking_number: msg.tracking_number,
    status,
    carrier_status: msg.subtag ? `${msg.tag}/${msg.subtag}` : msg.tag,
    description: checkpoint.message ?? undefined,
    location: place([checkpoint.city, checkpoint.state, checkpoint.zip, checkpoint.country_iso3]),
    received_by: (status === 'delivered' && msg.signed_by) || undefined,
    event_time: checkpoint.checkpoint_time,
  };
}

// ---------------------------------------------------------------- the table
const PLATFORMS = {
  easypost: { schema: easyPost, convert: fromEasyPost },
  shippo: { schema: shippo, convert: fromShippo },
  aftership: { schema: afterShip, convert: fromAfterShip },
} as const;
export type CarrierPlatform = keyof typeof PLATFORMS;
export const CARRIER_PLATFORMS = Object.keys(PLATFORMS) as CarrierPlatform[];

export function isCarrierPlatform(name: string): name is CarrierPlatform {
  return Object.hasOwn(PLATFORMS, name);
}

/** The idempotency key of a tracking fact: the same carrier statement always gives the same key. */
export function trackingKey(t: CarrierTracking): string {
  const digest = createHash('sha256')
    .update([t.platform, t.carrier, t.tracking_number, t.carrier_status, new Date(t.event_time).toISOString()].join('\n'))
    .digest('hex')
    .slice(0, 40);
  return `carrier:${t.platform}:${digest}`;
}

export function normaliseCarrierWebhook(platform: CarrierPlatform, body: unknown): NormaliseResult {
  const { schema, convert } = PLATFORMS[platform] as { schema: z.ZodType; convert: (b: unknown) => CarrierTracking | string };
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { kind: 'invalid', path: issue.path.join('.') || '(body)', message: issue.message };
  }
  const out = convert(parsed.data);
  if (typeof out === 'string') return { kind: 'ignored', reason: out };
  return { kind: 'tracking', tracking: out, idempotencyKey: trackingKey(out) };
}
