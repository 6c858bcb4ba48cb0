/** The check-digit rules live in the contract (the partner update schemas apply them); re-exported for the door. */
export { trackingNumberProblem, trackingScheme, s10CheckDigit, ups1zCheckDigit, type TrackingScheme } from '@logistics-bridge/contract';
