/** The reconnect / retry backoff lives in the contract package (the adapter SDK uses it too); the sidecar's modules import it from here. */
export { backoffDelay, sleep, DEFAULT_BACKOFF, type BackoffPolicy } from '@logistics-bridge/contract';
