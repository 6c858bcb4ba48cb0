/**
 * ERP relevance: the pure conversion of device telemetry into the few updates Odoo applies.
 * The gateway keeps one `RelevanceStream` per adapter + stream id, feeds it every validated telemetry
 * message and publishes what comes out; the drop counters become its metrics.
 */
export { createRelevance, type RelevanceOptions, type RelevanceStream, type RelevanceCounters } from './stream';
export { type DropReason, type DropCounters, idempotencyKey } from './types';
export {
  parseScan,
  parseElementString,
  normaliseGtin,
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
