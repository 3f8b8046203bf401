import type { Request } from 'express';
import { z } from 'zod';
import { MAX_READ_WAIT_MS, type Consumers } from '../consumers';
import { HttpProblem, invalid } from './problem';
import { parse } from './validate';

const Position = z.coerce.number().int().min(0);
const WaitMs = z.coerce.number().int().min(0).max(MAX_READ_WAIT_MS).default(MAX_READ_WAIT_MS);

/** The query parameters of a read that waits for its read model (documented with the route; awaitProjection reads them). */
export const ReadYourWritesQuery = {
  after: Position.optional().describe('A position a write returned: wait until the read model has applied it (or send X-After-Position)'),
  waitMs: WaitMs.optional().describe(`How long to wait for \`after\`, at most ${MAX_READ_WAIT_MS} ms (the default)`),
};

/**
 * Read-your-writes. Writes return the global position they wrote; a read
 * given `?after=<position>` (or the header `X-After-Position`) first waits
 * until the projection it reads has applied that event, at most `?waitMs=`
 * (default and cap 5 s). If it has not by then the read fails with 504 rather
 * than answering with data that silently misses the caller's own write.
 */
export async function awaitProjection(req: Request, projections: Consumers, name: string): Promise<void> {
  const raw = req.query.after ?? req.header('x-after-position');
  if (raw === undefined) return;
  const after = parse(Position, raw, { name: req.query.after === undefined ? 'X-After-Position' : 'after' });
  const waitMs = parse(WaitMs, req.query.waitMs, { name: 'waitMs' });
  // A position no write returned is a mistake, not a read model that is behind.
  const head = await projections.head();
  if (after > head) {
    const field = req.query.after === undefined ? 'X-After-Position' : 'after';
    throw invalid([{ field, message: `position ${after} was never written: the newest event is at ${head}` }]);
  }
  if (await projections.waitForPosition(name, after, waitMs)) return;
  throw new HttpProblem('read-model-behind', `projection ${name} has not reached position ${after} within ${waitMs} ms; retry later`, {
    projection: name,
    position: after,
  });
}

/**
 * `Prefer: wait=<seconds>` (RFC 7240) on a request that starts work
 * asynchronously: how long the client accepts to wait for the first write, so
 * that the position it gets back covers it. Capped like read waits; 0 without.
 */
export function preferredWaitMs(req: Request): number {
  const seconds = /(?:^|[,;\s])wait=(\d+(?:\.\d+)?)/.exec(req.header('prefer') ?? '')?.[1];
  return seconds === undefined ? 0 : Math.min(Number(seconds) * 1000, MAX_READ_WAIT_MS);
}
