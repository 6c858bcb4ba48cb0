/**
 * The device contract's TypeScript mirror: the families and services of proto/logistics/device/v1,
 * the telemetry messages as proto-loader decodes them, and the ERP updates Odoo applies. Types and pure
 * helpers only, so the adapter SDK can import it as well as the gateway and the relevance logic.
 */
export { FAMILIES, SERVICE_NAMES, type Family } from './families';
export type * from './telemetry';
export { toMs, seqString } from './telemetry';
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
export { erpUpdateSchema, checkErpUpdate, finite, positive, sscc, ID_TEXT, KEY_TEXT, type UpdateCheck } from './schema';
