import { Router } from 'express';
import type { Metrics } from '../../metrics';
import { route } from '../route';

/** `GET /metrics` in Prometheus's text format. Unauthenticated, as scrapers expect: it holds counts, no business data. */
export function metricsRoutes(metrics: Metrics): Router {
  const router = Router();
  route(
    router,
    { method: 'get', path: '/metrics', tag: 'service', summary: 'Prometheus metrics', responses: { 200: { description: 'Prometheus text format', type: 'text/plain' } } },
    async (_input, _req, res) => {
      const { contentType, body } = await metrics.render();
      res.type(contentType).send(body);
    },
  );
  return router;
}
