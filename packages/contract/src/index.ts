/**
 * @logistics-bridge/contract: what the Logistics Bridge's device gateway and its adapters share. The
 * device families and their gRPC services (proto/logistics/device/v1, carried in this package), the
 * telemetry messages as proto-loader decodes them, the ERP updates Odoo applies and their zod schemas,
 * the schemas of every adapter message (with the field path of the first bad field), id and key text
 * rules, GS1 check digits, proto loading and the reconnect backoff. No I/O beyond reading the protos.
 */
export { FAMILIES, SERVICE_NAMES, type Family } from './families';
export type * from './telemetry';
export { toMs } from './telemetry';
export {
  ERP_UPDATE_TYPES,
  type ErpUpdate,
  type ErpUpdateOf,
  type ErpUpdateType,
  type ErpPayloads,
  type DeviceStatusValue,
  type PickingRef,
  type ProductRef,
  type LocationRef,
  type PickLine,
  type ProductLine,
} from './updates';
export { erpUpdateSchema, checkErpUpdate, finite, positive, sscc, ID_TEXT, KEY_TEXT, MAX_TIME_MS, type UpdateCheck } from './update-schema';
export { parseAdapterMessage, peekSequence, fieldPath, outOfOrderReading, FAMILY_ENUM, SCHEMA_ROOTS, type ParsedMessage, type ParsedHello, type ParsedWorkAck } from './messages';
export { fastTelemetryEnvelope } from './fast';
export { ContractViolation } from './errors';
export { gs1CheckDigit, hasValidCheckDigit, isValidSscc } from './gs1';
export { loadServices, LOADER_OPTIONS, PROTO_FILES, PROTO_ROOT } from './proto';
export { wireViolation, type WireViolation } from './wire';
export { backoffDelay, sleep, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff';
