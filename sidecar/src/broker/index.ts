export { Broker, type SetupFn } from './connection';
