export { backoffDelay, sleep, DEFAULT_BACKOFF, type BackoffPolicy } from '@logistics-bridge/contract';
