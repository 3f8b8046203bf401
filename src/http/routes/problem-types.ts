import { Router } from 'express';
import { z } from 'zod';
import { isProblemKind, PROBLEM_TYPES, problemTypeUri } from '../problem-types';
import { HttpProblem } from '../problem';
import { route } from '../route';

/** The `type` URIs of our problems resolve to what they mean (RFC 9457 §3.1.1). */
const ProblemType = z.object({ type: z.string(), status: z.number().int(), title: z.string(), description: z.string() });

export function problemTypeRoutes(): Router {
  const router = Router();
  route(
    router,
    { method: 'get', path: '/problems', tag: 'service', summary: 'Every kind of problem this API answers with', responses: { 200: { description: 'Problem types', body: z.object({ problems: z.array(ProblemType) }) } } },
    (_input, _req, res) => {
      res.json({ problems: Object.entries(PROBLEM_TYPES).map(([kind, t]) => ({ type: problemTypeUri(kind as keyof typeof PROBLEM_TYPES), ...t })) });
    },
  );
  route(
    router,
    {
      method: 'get',
      path: '/problems/:kind',
      tag: 'service',
      summary: 'What a problem `type` means',
      params: z.object({ kind: z.string() }),
      responses: { 200: { description: 'The problem type', body: ProblemType } },
      problems: ['not-found'],
    },
    ({ params: { kind } }, _req, res) => {
      if (!isProblemKind(kind)) throw new HttpProblem('not-found', `no problem type ${kind}`);
      res.json({ type: problemTypeUri(kind), ...PROBLEM_TYPES[kind] });
    },
  );
  return router;
}
