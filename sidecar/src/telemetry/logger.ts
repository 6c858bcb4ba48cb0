import winston from 'winston';

export type Logger = winston.Logger;

/**
 * Structured JSON logs on stdout. Modules take a child logger (`logger.child({ module: 'relay' })`)
 * and add `eventId` / `correlationId` to the lines about one message.
 */
export function createLogger(level: string, stream?: NodeJS.WritableStream): Logger {
  const transport = stream
    ? new winston.transports.Stream({ stream })
    : new winston.transports.Console({ stderrLevels: [] });
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: false }), winston.format.json()),
    defaultMeta: { service: 'logistics-bridge' },
    transports: [transport],
  });
}
