/** Flow 3 (DESIGN.md; docs/gateway.md "Work"): released pickings on `logistics.events` become work for connected adapters. */
export { WorkRouter, type WorkRouterOptions, type WorkTarget } from './router';
export { buildWork, parsePickingReady, warehouseCode, WORK_CAPABILITY, type PickingReady } from './messages';
