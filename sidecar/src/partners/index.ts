export { trackingNumberProblem, trackingScheme, s10CheckDigit, ups1zCheckDigit, type TrackingScheme } from './tracking-number';
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
