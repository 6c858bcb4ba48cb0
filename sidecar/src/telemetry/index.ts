export { createLogger, type Logger } from './logger';
export { createRegistry } from './metrics';
