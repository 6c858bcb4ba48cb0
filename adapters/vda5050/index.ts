/** VDA 5050 2.0 over MQTT: a reference fleet adapter (master control) and a simulated vehicle. See docs/vda5050.md. */
export * from './messages';
export { HeaderIds, buildOrder, buildCancelOrder, header, stamp, type OrderBody, type InstantActionsBody, type RouteStop, type LoadHandling } from './builders';
export { parseLayout, planRoute, startStop, LayoutError, type Layout, type LayoutNode, type JobStop } from './layout';
export { parseWork, type Job, type Withdrawal, type ParsedWork } from './jobs';
export { interpretState, interpretConnection, taskFailed, type FleetUpdate, type TrackedOrder, type Verdict } from './interpret';
export { Fleet, type Effects, type Outgoing, type FleetOptions } from './fleet';
export { MasterControl, type MasterControlOptions } from './master-control';
export { AgvCore, SimulatedAgv, type AgvOptions, type SimulatedAgvOptions } from './simulated-agv';
export { runFleetAdapter, type BridgeLink, type FleetAdapterOptions } from './fleet-adapter';
