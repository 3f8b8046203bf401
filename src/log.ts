import pino from 'pino';

/**
 * Structured JSON logs. Lines about a saga carry `sagaId` (the correlation id),
 * so one saga's story can be grepped out of a busy log.
 */
export type Logger = pino.Logger;

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}

export const sagaLogger = (log: Logger, sagaId: string) => log.child({ sagaId });
