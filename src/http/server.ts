import { DBOS } from '@dbos-inc/dbos-sdk';
import express from 'express';
import { z } from 'zod';
import type { Config } from '../config';
import type { Fleet } from '../fleet/fleet';
import { consoleRoutes } from '../console/router';
import type { Pool } from '../db/pool';
import type { CommandHandler, EventStore } from '../eventstore';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { Consumers } from '../consumers';
import type { Privacy } from '../privacy/privacy';
import { WORKFLOW_VERSION } from '../release';
import type { SagaEngine } from '../saga/engine';
import { accessControl, FailedAuthLimiter } from './auth';
import { jsonBodies } from './body';
import { HttpProblem, problemHandler } from './problem';
import { openApiDocument } from './openapi';
import { describeRequestError, routePatternsOf } from './request-errors';
import { route } from './route';
import { revealPersonalData } from './reveal';
import { securityHeaders } from './security';
import { customerRoutes } from './routes/customers';
import { fleetRoutes } from './routes/fleet';
import { metricsRoutes } from './routes/metrics';
import { problemTypeRoutes } from './routes/problem-types';
import { consumerRoutes } from './routes/consumers';
import { readModelRoutes } from './routes/read-models';
import { returnRoutes } from './routes/returns';
import { sagaRoutes } from './routes/sagas';
import { startRoutes } from './routes/start';
import { storeRoutes } from './routes/store';

export interface HttpDeps {
  config: Config;
  pool: Pool;
  store: EventStore;
  handler: CommandHandler;
  engine: SagaEngine;
  privacy: Privacy;
  log: Logger;
  /** Serves GET /metrics when given. */
  metrics?: Metrics;
  /** Projections, process managers, the outbox. */
  consumers: Consumers;
  /** Serves GET /fleet when given. */
  fleet?: Fleet;
}

const Health = z.object({
  status: z.enum(['ok', 'unavailable']),
  database: z.enum(['up', 'down']),
  dbos: z.enum(['up', 'down']),
  executorId: z.string(),
  applicationVersion: z.string(),
});

export function createHttpApp(deps: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders(deps.config.corsOrigins));
  app.use(jsonBodies);
  app.use(revealPersonalData(deps.privacy));
  // Which credential each route needs (README "HTTP API"); one limiter for all: failures anywhere count against the address.
  const access = accessControl(
    { adminToken: deps.config.adminToken, clientToken: deps.config.clientToken },
    new FailedAuthLimiter(deps.config.authFailuresPerMinute),
  );

  const meta = express.Router();
  route(
    meta,
    {
      method: 'get',
      path: '/health',
      tag: 'service',
      summary: 'Whether the database and DBOS are up',
      responses: { 200: { description: 'Up', body: Health }, 503: { description: 'A dependency is down', body: Health } },
    },
    async (_input, _req, res) => {
      const database = await deps.pool.query('SELECT 1').then(
        () => 'up',
        () => 'down',
      );
      const dbos = DBOS.isInitialized() ? 'up' : 'down';
      const ok = database === 'up' && dbos === 'up';
      res.status(ok ? 200 : 503).json({
        status: ok ? 'ok' : 'unavailable',
        database,
        dbos,
        executorId: deps.config.executorId,
        applicationVersion: WORKFLOW_VERSION,
      });
    },
  );
  route(
    meta,
    {
      method: 'get',
      path: '/openapi.json',
      tag: 'service',
      summary: 'This document: OpenAPI 3.1, generated from the schemas the routes validate with',
      responses: { 200: { description: 'The OpenAPI document', body: z.record(z.string(), z.unknown()) } },
    },
    (_input, _req, res) => {
      res.json(openApiDocument(app.router, { version: WORKFLOW_VERSION }));
    },
  );
  app.use(meta);

  // Before sagaRoutes: GET /sagas/types is not a saga id.
  app.use(startRoutes({ ...deps, access }));
  app.use(returnRoutes({ ...deps, access }));
  app.use(sagaRoutes({ ...deps, projections: deps.consumers, access }));
  app.use(storeRoutes({ ...deps, access }));
  app.use(readModelRoutes({ ...deps, projections: deps.consumers, access }));
  app.use(consumerRoutes({ ...deps, access }));
  app.use(customerRoutes({ ...deps, access }));
  if (deps.metrics) app.use(metricsRoutes(deps.metrics));
  if (deps.fleet) app.use(fleetRoutes(deps.fleet));
  app.use(consoleRoutes());
  app.use(problemTypeRoutes());
  app.use((req, _res, next) => next(new HttpProblem('not-found', `no route ${req.method} ${req.path}`)));
  // Read once every route is registered: names the parameter of a path that does not decode.
  const patterns = Object.fromEntries(['GET', 'POST'].map((m) => [m, routePatternsOf(app.router, m)]));
  app.use(problemHandler(deps.log, (req, err) => describeRequestError(req, err, patterns[req.method] ?? routePatternsOf(app.router))));
  return app;
}
