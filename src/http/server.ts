import { DBOS } from '@dbos-inc/dbos-sdk';
import express from 'express';
import type { Config } from '../config';
import type { Fleet } from '../fleet/fleet';
import { consoleRoutes } from '../console/router';
import type { Pool } from '../db/pool';
import type { CommandHandler, EventStore } from '../eventstore';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { Consumers } from '../consumers';
import { metricsRoutes } from '../metrics/route';
import { WORKFLOW_VERSION } from '../release';
import type { SagaEngine } from '../saga/engine';
import { FailedAuthLimiter, requireToken } from './auth';
import { jsonBodies } from './body';
import { HttpProblem, problemHandler } from './problem';
import { describeRequestError, routePatternsOf } from './request-errors';
import { securityHeaders } from './security';
import { fleetRoutes } from './routes/fleet';
import { orderRoutes } from './routes/orders';
import { problemTypeRoutes } from './routes/problem-types';
import { consumerRoutes } from './routes/consumers';
import { readModelRoutes } from './routes/read-models';
import { returnRoutes } from './routes/returns';
import { sagaRoutes } from './routes/sagas';
import { storeRoutes } from './routes/store';

export interface HttpDeps {
  config: Config;
  pool: Pool;
  store: EventStore;
  handler: CommandHandler;
  engine: SagaEngine;
  log: Logger;
  /** Serves GET /metrics when given. */
  metrics?: Metrics;
  /** Projections, process managers, the outbox. */
  consumers: Consumers;
  /** Serves GET /fleet when given. */
  fleet?: Fleet;
}

export function createHttpApp(deps: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders(deps.config.corsOrigins));
  app.use(jsonBodies);
  // One limiter for every operator route: failures anywhere count against the address.
  const operator = requireToken(deps.config.adminToken, new FailedAuthLimiter(deps.config.authFailuresPerMinute));

  app.get('/health', async (_req, res) => {
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
  });

  app.use(orderRoutes(deps));
  app.use(returnRoutes(deps));
  app.use(sagaRoutes({ ...deps, projections: deps.consumers, operator }));
  app.use(storeRoutes({ ...deps, operator }));
  app.use(readModelRoutes({ ...deps, projections: deps.consumers }));
  app.use(consumerRoutes({ ...deps, operator }));
  if (deps.metrics) app.use(metricsRoutes(deps.metrics));
  if (deps.fleet) app.use(fleetRoutes(deps.fleet));
  app.use(consoleRoutes());
  app.use(problemTypeRoutes());
  app.use((req, _res, next) => next(new HttpProblem('not-found', `no route ${req.method} ${req.path}`)));
  // Read once every route is registered: names the parameter of a path that does not decode.
  const patterns = routePatternsOf(app.router);
  app.use(problemHandler(deps.log, (req, err) => describeRequestError(req, err, patterns)));
  return app;
}
