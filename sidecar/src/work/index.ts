/** Flow 3 (DESIGN.md; docs/gateway.md "Work", docs/broker.md "Work pools"): released pickings on `logistics.events` become work for adapter pools. */
export { WorkRouter, type WorkRouterOptions } from './router';
export { WorkDispatcher, poolOf, type WorkDispatcherOptions, type WorkTarget } from './dispatcher';
export { VoidFeed, VoidSet, type VoidFeedOptions } from './voids';
export { buildWork, buildWithdrawal, eventDatabase, familiesFor, parsePickingReady, parsePickingWithdrawn, parsePoolMessage, pickingIdOf, warehouseCode, WORK_CAPABILITY, type PickingReady, type PickingWithdrawn, type PoolMessage } from './messages';
