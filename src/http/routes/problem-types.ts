import { Router } from 'express';
import { z } from 'zod';
import { isProblemKind, PROBLEM_TYPES, problemTypeUri } from '../problem-types';
import { HttpProblem } from '../problem';
import { params } from '../validate';

/** The `type` URIs of our problems resolve to what they mean (RFC 9457 §3.1.1). */
export function problemTypeRoutes(): Router {
  const router = Router();
  router.get('/problems', (_req, res) => {
    res.json({ problems: Object.entries(PROBLEM_TYPES).map(([kind, t]) => ({ type: problemTypeUri(kind as keyof typeof PROBLEM_TYPES), ...t })) });
  });
  router.get('/problems/:kind', (req, res) => {
    const { kind } = params(z.object({ kind: z.string() }), req);
    if (!isProblemKind(kind)) throw new HttpProblem('not-found', `no problem type ${kind}`);
    res.json({ type: problemTypeUri(kind), ...PROBLEM_TYPES[kind] });
  });
  return router;
}
