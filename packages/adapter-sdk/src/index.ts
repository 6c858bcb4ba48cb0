/**
 * Logistics Bridge adapter SDK: connect a device family to the bridge's gRPC gateway in a few lines.
 * The package's README is the guide (install, connect, send, work, resume, errors); the contract it
 * speaks is `@logistics-bridge/contract`.
 */
import { AdapterClient, type ConnectOptions } from './client';

export {
  AdapterClient,
  Pacer,
  wireMessage,
  DEFAULT_PROTO_ROOT,
  type ConnectOptions,
  type TlsOptions,
  type SendOptions,
  type UpdateOptions,
  type AckInfo,
  type RejectInfo,
  type HelloAckInfo,
  type AdapterEvents,
  type OutgoingMessage,
} from './client';
export { Outbox, type OutboxEntry } from './outbox';
export { Journal, DEFAULT_JOURNAL_BYTES, encodeRecord, decodeRecords, replay, type JournalOptions, type RecoveryNote, type Decoded, type JournalRecord, type LiveEntry } from './journal';
export { backoffDelay, type BackoffPolicy } from '@logistics-bridge/contract';

/** What a reference adapter needs of the client: tests and dry runs pass their own. */
export type ReadingSink = Pick<AdapterClient, 'sendReading'>;
export type {
  Family,
  DeviceUpdateType as UpdateType,
  DeviceErpPayloads as UpdatePayloads,
  PickingRef,
  ProductRef,
  LocationRef,
  PickLine as Line,
} from '@logistics-bridge/contract';
export type { Reading, Heartbeat, ScanReading, ScanMode, SorterEvent, SorterEventKind, RobotState, ActionStatus, Work } from './readings';
export { workId, isWithdrawal } from './readings';

/**
 * Opens the stream, sends the Hello and resolves once the gateway accepted it. Transient failures
 * (gateway down, network) are retried with backoff for as long as it takes; a wrong token or a family
 * the adapter is not registered for rejects, because retrying cannot fix it.
 */
export async function connect(options: ConnectOptions): Promise<AdapterClient> {
  const client = new AdapterClient(options);
  await client.start();
  return client;
}
