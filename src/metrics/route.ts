import { Router } from 'express';
import type { Metrics } from './index';

/** `GET /metrics` in Prometheus's text format. Unauthenticated, as scrapers expect: it holds counts, no business data. */
export function metricsRoutes(metrics: Metrics): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    const { contentType, body } = await metrics.render();
    res.type(contentType).send(body);
  });
  return router;
}
