/**
 * ERP relevance: the pure conversion of device telemetry into the few updates Odoo applies.
 * The gateway keeps one `RelevanceStream` per adapter + stream id, feeds it every validated telemetry
 * message and publishes what comes out; the drop counters become its metrics.
 */
export { createRelevance, type RelevanceOptions, type RelevanceStream, type RelevanceCounters } from './stream';
export { type DropReason, type DropCounters, idempotencyKey } from './types';
// The contract types relevance consumes and produces, re-exported so its callers need one import.
export { ERP_UPDATE_TYPES, type Family as FamilyName, type ErpUpdate, type ErpUpdateType, type ErpPayloads, type PickingRef, type ProductRef, type LocationRef } from '../contract';
export {
  parseScan,
  parseElementString,
  gs1CheckDigit,
  hasValidCheckDigit,
  normaliseGtin,
  isValidSscc,
  gs1Date,
  GS,
  type ScanParse,
  type Gs1Elements,
  type Gs1Error,
  type Gs1ErrorCode,
} from './gs1';
export { erpBarcode } from './barcode';
export { ScanDebouncer } from './debounce';
export { phaseOf, lineFromResult } from './robot';
export type * from '../contract/telemetry';
export { toMs, seqString } from '../contract';
