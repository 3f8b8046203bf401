import { Router } from 'express';
import { z } from 'zod';
import type { Projections } from '../../projections';
import type { Access } from '../auth';
import { HttpProblem } from '../problem';
import { params, query } from '../validate';

const NameParams = z.object({ name: z.string().min(1).max(100) });
const ReplayParams = NameParams.extend({ position: z.coerce.number().int().min(1) });
const DeadLetterQuery = z.object({
  all: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Operations on the read side: status and lag, parked events, rebuilds. */
export function projectionRoutes(deps: { projections: Projections; access: Access }): Router {
  const router = Router();
  const { projections } = deps;

  const known = (name: string): string => {
    if (!projections.has(name)) throw new HttpProblem('not-found', `no projection named ${name}`, { projections: projections.names });
    return name;
  };

  router.get('/projections', async (_req, res) => {
    res.json({ projections: await projections.status() });
  });

  router.get('/projections/:name/dead-letters', deps.access.reader, async (req, res) => {
    const name = known(params(NameParams, req).name);
    const { all, limit } = query(DeadLetterQuery, req);
    res.json({ projection: name, deadLetters: await projections.deadLetters(name, { includeReplayed: all, limit }) });
  });

  router.post('/projections/:name/dead-letters/:position/replay', deps.access.operator, async (req, res) => {
    const { name, position } = params(ReplayParams, req);
    known(name);
    const results = await projections.replay(name, position);
    if (results.length === 0) throw new HttpProblem('not-found', `no event parked at position ${position} in ${name}`);
    const failed = results.filter((r) => !r.replayed);
    if (failed.length) {
      throw new HttpProblem('replay-failed', `the event at position ${position} still fails: ${failed[0].error}`, { results });
    }
    res.json({ projection: name, position, results });
  });

  router.post('/projections/:name/rebuild', deps.access.operator, async (req, res) => {
    const name = known(params(NameParams, req).name);
    const { version, started } = await projections.rebuild(name);
    res.status(202).location('/projections').json({ projection: name, version, status: 'rebuilding', started });
  });

  return router;
}
