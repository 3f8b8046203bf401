import { Router } from 'express';
import type { Fleet } from '../../fleet/fleet';

/** GET /fleet: the processes sharing this database, their leases and sagas, and who took over whom. */
export function fleetRoutes(fleet: Fleet): Router {
  const router = Router();
  router.get('/fleet', async (_req, res) => {
    res.json(await fleet.snapshot());
  });
  return router;
}
