/**
 * Flow 4, partners → sidecar → Odoo (docs/partners.md): the pure parts (carrier webhook normalisation,
 * tracking-number check digits, request authentication, from partner items to contract updates) and
 * the two doors over them (HTTP, AMQP).
 */
export {
  normaliseCarrierWebhook,
  isCarrierPlatform,
  trackingKey,
  CARRIER_PLATFORMS,
  DELIVERY_STATUSES,
  type CarrierPlatform,
  type CarrierTracking,
  type DeliveryStatus,
  type NormaliseResult,
} from './carriers';
export { verifyPartner, signBridgeRequest, REPLAY_WINDOW_S, type AuthScheme, type AuthVerdict, type PartnerCredential } from './auth';
export { partnerBatch, partnerUpdate, carrierWebhook, partnerAdapterId, type Ingested, type WebhookIngested } from './ingest';
export { PartnerDirectory, type Admission } from './directory';
export { PartnerDoor, type PartnerDoorOptions } from './door';
export { PartnerAmqpDoor, PARTNER_DEAD_LETTER_HEADERS, type PartnerAmqpDoorOptions } from './amqp-door';
export { createPartnerDoors } from './create';
