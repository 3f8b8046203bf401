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

/** What DBOS hands its logger (DLogger in @dbos-inc/dbos-sdk's telemetry/logs): entries as strings, an error's stack in the metadata. */
interface DbosLogMetadata {
  span?: { attributes?: Record<string, unknown> };
  stack?: string;
  error?: unknown;
}

/**
 * DBOS's own log lines (launch, recovery, queues, its errors) as JSON lines
 * through our logger, tagged `component: "dbos"`, instead of DBOS's plain
 * text on the console. DBOS filters nothing by level when given a logger:
 * pino does, at our level. A line from inside a workflow carries its id.
 */
export function dbosLogger(log: Logger) {
  const dbos = log.child({ component: 'dbos' });
  const fields = (metadata?: DbosLogMetadata) => {
    const workflowId = metadata?.span?.attributes?.operationUUID;
    return typeof workflowId === 'string' ? { workflowId } : {};
  };
  const text = (entry: unknown) => (typeof entry === 'string' ? entry : entry instanceof Error ? entry.message : JSON.stringify(entry));
  return {
    info: (entry: unknown, metadata?: DbosLogMetadata) => dbos.info(fields(metadata), text(entry)),
    debug: (entry: unknown, metadata?: DbosLogMetadata) => dbos.debug(fields(metadata), text(entry)),
    warn: (entry: unknown, metadata?: DbosLogMetadata) => dbos.warn(fields(metadata), text(entry)),
    error: (entry: unknown, metadata?: DbosLogMetadata) => {
      const err = metadata?.error instanceof Error ? metadata.error : entry instanceof Error ? entry : undefined;
      dbos.error({ ...fields(metadata), ...(err ? { err } : metadata?.stack ? { stack: metadata.stack } : {}) }, text(entry));
    },
  };
}
