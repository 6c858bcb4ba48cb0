/**
 * The inbound applier (DESIGN.md flow 2 step 4; docs/applier.md): `logistics.updates` → batches →
 * `logistics.bridge.update.apply_batch`, each delivery settled by its own result, permanent failures in
 * `logistics.updates.dead`.
 */
export { Applier, UPDATE_MODEL, DEAD_HEADERS, type ApplierOptions, type ApplyTarget, type ConnectSource } from './applier';
export { ApplierMetrics } from './metrics';
export { DeadLetterRecorder, type DeadRecord, type RecorderOptions } from './dead-record';
export {
  decodeUpdate,
  parseApplyResults,
  outcomeOf,
  classifyBatchFailure,
  batchRetryDelay,
  orderKey,
  planBatch,
  withoutBatch,
  ApplyProtocolError,
  DEFAULT_RETRY,
  type ApplyResult,
  type BatchFailure,
  type BatchTiming,
  type DeadStage,
  type Decoded,
  type FlushPlan,
  type Outcome,
  type RetryPolicy,
} from './policy';
