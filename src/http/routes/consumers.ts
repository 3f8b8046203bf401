import { Router } from 'express';
import { z } from 'zod';
import type { ConsumerKind, Consumers } from '../../consumers';
import type { Access } from '../auth';
import { HttpProblem } from '../problem';
import { consumerList, deadLetterList } from '../responses';
import { route } from '../route';

const NameParams = z.object({ name: z.string().min(1).max(100) });
const ReplayParams = NameParams.extend({ position: z.coerce.number().int().min(1) });
const DeadLetterQuery = z.object({
  all: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const ReplayResults = z.array(z.object({ version: z.number().int(), replayed: z.boolean(), error: z.string().optional() }));

/**
 * Operations on every consumer of the feed (GET /consumers, /consumers/…):
 * status and lag, parked events and their replay, rebuild or reset. The same
 * routes under /projections (the read models only) are kept for existing
 * clients; there an entry is named by `projection`, as it was before consumers.
 */
export function consumerRoutes(deps: { consumers: Consumers; access: Access }): Router {
  const router = Router();
  const { consumers } = deps;

  for (const [base, kind, noun] of [
    ['/consumers', undefined, 'consumer'],
    ['/projections', 'projection', 'projection'],
  ] as const) {
    const kindOf: ConsumerKind | undefined = kind;
    const what = kindOf ? 'read model' : 'consumer (projection, process manager, outbox)';
    const known = (name: string): string => {
      if (!consumers.has(name, kindOf)) throw new HttpProblem('not-found', `no ${noun} named ${name}`, { [`${noun}s`]: consumers.names(kindOf) });
      return name;
    };

    route(
      router,
      {
        method: 'get',
        path: base,
        tag: 'consumers',
        summary: `Every ${what}: version, checkpoint, lag, parked events, lease owner`,
        responses: { 200: { description: 'Status per version', body: consumerList(noun) } },
      },
      async (_input, _req, res) => {
        res.json({ [`${noun}s`]: await consumers.status({ kind: kindOf }) });
      },
    );

    route(
      router,
      {
        method: 'get',
        path: `${base}/:name/dead-letters`,
        auth: deps.access.reader,
        tag: 'consumers',
        summary: `Events a ${noun} parked after its retries`,
        params: NameParams,
        query: DeadLetterQuery,
        responses: { 200: { description: 'Parked events (`all=true`: replayed ones too)', body: deadLetterList(noun) } },
        problems: ['not-found'],
      },
      async ({ params: p, query: { all, limit } }, _req, res) => {
        const name = known(p.name);
        const deadLetters = await consumers.deadLetters(name, { includeReplayed: all, limit });
        res.json({ [noun]: name, deadLetters: kindOf ? deadLetters.map((d) => ({ ...d, projection: d.consumer })) : deadLetters });
      },
    );

    route(
      router,
      {
        method: 'post',
        path: `${base}/:name/dead-letters/:position/replay`,
        tag: 'consumers',
        summary: 'Apply a parked event again',
        auth: deps.access.operator,
        params: ReplayParams,
        responses: { 200: { description: 'Replayed', body: z.object({ [noun]: z.string(), position: z.number().int(), results: ReplayResults }) } },
        problems: ['not-found', 'replay-failed'],
      },
      async ({ params: { name, position } }, _req, res) => {
        known(name);
        const results = await consumers.replay(name, position);
        if (results.length === 0) throw new HttpProblem('not-found', `no event parked at position ${position} in ${name}`);
        const failed = results.filter((r) => !r.replayed);
        if (failed.length) {
          throw new HttpProblem('replay-failed', `the event at position ${position} still fails: ${failed[0].error}`, { results });
        }
        res.json({ [noun]: name, position, results });
      },
    );

    route(
      router,
      {
        method: 'post',
        path: `${base}/:name/rebuild`,
        tag: 'consumers',
        summary: 'Rebuild a read model beside the live one (reads switch when it has caught up), or reset another consumer to the start of the feed',
        auth: deps.access.operator,
        params: NameParams,
        responses: {
          202: {
            description: 'Rebuilding (`started: false`: a rebuild was already under way)',
            body: z.object({ [noun]: z.string(), version: z.number().int(), status: z.literal('rebuilding'), started: z.boolean() }),
            headers: { Location: base },
          },
        },
        problems: ['not-found'],
      },
      async ({ params: p }, _req, res) => {
        const name = known(p.name);
        const { version, started } = await consumers.rebuild(name);
        res.status(202).location(base).json({ [noun]: name, version, status: 'rebuilding', started });
      },
    );
  }

  return router;
}
