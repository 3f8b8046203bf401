import { Router } from 'express';
import { z } from 'zod';
import type { Fleet } from '../../fleet/fleet';
import { route } from '../route';

/** GET /fleet: the processes sharing this database, their leases and sagas, and who took over whom. */
export function fleetRoutes(fleet: Fleet): Router {
  const router = Router();
  route(
    router,
    {
      method: 'get',
      path: '/fleet',
      tag: 'service',
      summary: 'The processes sharing this database: leases, the sagas they run, takeovers',
      responses: { 200: { description: 'The fleet now', body: z.looseObject({ self: z.string(), leaseMs: z.number(), executors: z.array(z.looseObject({ executorId: z.string() })) }) } },
    },
    async (_input, _req, res) => {
      res.json(await fleet.snapshot());
    },
  );
  return router;
}
