export { Relay, type RelayOptions, type RelayPublisher } from './relay';
export { OdooOutboxSource, OUTBOX_MODEL, type OutboxSource, type ReplayQuery } from './source';
export { RelayMetrics } from './metrics';
export { buildMessage, HEADERS, type MessageOptions } from './message';
export { planWaves, splitBlocked } from './ordering';
export { checkPayload, eventJsonSchemas, EVENT_TYPES, PAYLOAD_SCHEMAS, type EventType, type PayloadCheck } from './schemas';
export { failureKind, retryDelay, describeFailure, RETRY_POLICIES, type FailureKind } from './policy';
export { outboxEventSchema, parseClaim, parseRows, type ClaimResult, type OutboxEvent, type OutboxStats, type Failure, type MalformedRow, type WaitResult } from './event';
export { createRelay, APP_ID, type RelayParts } from './create';
