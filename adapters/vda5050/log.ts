import winston from 'winston';

/** What the fleet adapter logs through: the winston logger of the adapter process (JSON on stdout). */
export type Logger = Pick<winston.Logger, 'debug' | 'info' | 'warn' | 'error'>;

export function createLogger(level: string): winston.Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { service: 'logistics-bridge-vda5050' },
    transports: [new winston.transports.Console({ stderrLevels: [] })],
  });
}
