import { Router } from 'express';
import { z } from 'zod';
import type { Projections } from '../../projections';
import { HttpProblem } from '../problem';
import { DeadLetterList, ProjectionList } from '../responses';
import { route } from '../route';
import type { Access } from '../auth';

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

  route(
    router,
    {
      method: 'get',
      path: '/projections',
      tag: 'projections',
      summary: 'Every read model: version, checkpoint, lag, parked events, lease',
      responses: { 200: { description: 'Status per projection version', body: ProjectionList } },
    },
    async (_input, _req, res) => {
      res.json({ projections: await projections.status() });
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/projections/:name/dead-letters',
      auth: deps.access.reader,
      tag: 'projections',
      summary: 'Events a projection parked after its retries',
      params: NameParams,
      query: DeadLetterQuery,
      responses: { 200: { description: 'Parked events (`all=true`: replayed ones too)', body: DeadLetterList } },
      problems: ['not-found'],
    },
    async ({ params: p, query: { all, limit } }, _req, res) => {
      const name = known(p.name);
      res.json({ projection: name, deadLetters: await projections.deadLetters(name, { includeReplayed: all, limit }) });
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/projections/:name/dead-letters/:position/replay',
      tag: 'projections',
      summary: 'Apply a parked event again',
      auth: deps.access.operator,
      params: ReplayParams,
      responses: {
        200: {
          description: 'Replayed',
          body: z.object({ projection: z.string(), position: z.number().int(), results: z.array(z.object({ version: z.number().int(), replayed: z.boolean(), error: z.string().optional() })) }),
        },
      },
      problems: ['not-found', 'replay-failed'],
    },
    async ({ params: { name, position } }, _req, res) => {
      known(name);
      const results = await projections.replay(name, position);
      if (results.length === 0) throw new HttpProblem('not-found', `no event parked at position ${position} in ${name}`);
      const failed = results.filter((r) => !r.replayed);
      if (failed.length) {
        throw new HttpProblem('replay-failed', `the event at position ${position} still fails: ${failed[0].error}`, { results });
      }
      res.json({ projection: name, position, results });
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/projections/:name/rebuild',
      tag: 'projections',
      summary: 'Rebuild a read model beside the live one; reads switch when it has caught up',
      auth: deps.access.operator,
      params: NameParams,
      responses: {
        202: {
          description: 'Rebuilding (`started: false`: a rebuild was already under way)',
          body: z.object({ projection: z.string(), version: z.number().int(), status: z.literal('rebuilding'), started: z.boolean() }),
          headers: { Location: '/projections' },
        },
      },
      problems: ['not-found'],
    },
    async ({ params: p }, _req, res) => {
      const name = known(p.name);
      const { version, started } = await projections.rebuild(name);
      res.status(202).location('/projections').json({ projection: name, version, status: 'rebuilding', started });
    },
  );

  return router;
}
