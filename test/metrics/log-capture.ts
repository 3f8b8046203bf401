import pino from 'pino';
import type { Logger } from '../../src/log';

export type LogLine = Record<string, unknown> & { msg?: string; sagaId?: string };

/** A real pino logger at the production default level, writing to memory instead of stdout. */
export function captureLogs(level = 'info'): { log: Logger; lines: () => LogLine[] } {
  const written: string[] = [];
  const log = pino({ level }, { write: (chunk: string) => void written.push(chunk) });
  return { log, lines: () => written.map((l) => JSON.parse(l) as LogLine) };
}
