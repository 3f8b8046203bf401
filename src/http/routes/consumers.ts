import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { ConsumerKind, Consumers } from '../../consumers';
import { HttpProblem } from '../problem';
import { params, query } from '../validate';

const NameParams = z.object({ name: z.string().min(1).max(100) });
const ReplayParams = NameParams.extend({ position: z.coerce.number().int().min(1) });
const DeadLetterQuery = z.object({
  all: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/**
 * Operations on every consumer of the feed (GET /consumers, /consumers/…):
 * status and lag, parked events and their replay, rebuild or reset. The same
 * routes under /projections (the read models only) are kept for existing clients.
 */
export function consumerRoutes(deps: { consumers: Consumers; operator: RequestHandler }): Router {
  const router = Router();
  const { consumers } = deps;

  for (const [base, kind, noun] of [
    ['/consumers', undefined, 'consumer'],
    ['/projections', 'projection', 'projection'],
  ] as const) {
    const kindOf: ConsumerKind | undefined = kind;
    const known = (name: string): string => {
      if (!consumers.has(name, kindOf)) throw new HttpProblem('not-found', `no ${noun} named ${name}`, { [`${noun}s`]: consumers.names(kindOf) });
      return name;
    };

    router.get(base, async (_req, res) => {
      res.json({ [`${noun}s`]: await consumers.status({ kind: kindOf }) });
    });

    router.get(`${base}/:name/dead-letters`, async (req, res) => {
      const name = known(params(NameParams, req).name);
      const { all, limit } = query(DeadLetterQuery, req);
      const deadLetters = await consumers.deadLetters(name, { includeReplayed: all, limit });
      // Under /projections each entry also names its projection, as it did before consumers.
      res.json({ [noun]: name, deadLetters: kindOf ? deadLetters.map((d) => ({ ...d, projection: d.consumer })) : deadLetters });
    });

    router.post(`${base}/:name/dead-letters/:position/replay`, deps.operator, async (req, res) => {
      const { name, position } = params(ReplayParams, req);
      known(name);
      const results = await consumers.replay(name, position);
      if (results.length === 0) throw new HttpProblem('not-found', `no event parked at position ${position} in ${name}`);
      const failed = results.filter((r) => !r.replayed);
      if (failed.length) {
        throw new HttpProblem('replay-failed', `the event at position ${position} still fails: ${failed[0].error}`, { results });
      }
      res.json({ [noun]: name, position, results });
    });

    router.post(`${base}/:name/rebuild`, deps.operator, async (req, res) => {
      const name = known(params(NameParams, req).name);
      const { version, started } = await consumers.rebuild(name);
      res.status(202).location(base).json({ [noun]: name, version, status: 'rebuilding', started });
    });
  }

  return router;
}
