import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import {
  findOrderSummary,
  listOrderSummaries,
  listStockLevels,
  ORDER_STATUSES,
  ORDER_SUMMARY,
  STOCK_LEVELS,
} from '../../projections';
import type { Consumers } from '../../consumers';
import { HttpProblem } from '../problem';
import { awaitProjection } from '../read-your-writes';
import { params, query } from '../validate';

const OrderParams = z.object({ id: z.string().min(1).max(200) });
const OrderQuery = z.object({
  status: z.enum(ORDER_STATUSES).optional(),
  customerId: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
const InventoryQuery = z.object({ limit: z.coerce.number().int().min(1).max(5000).default(1000) });

/** Queries served by the read models (projections), never by folding streams. */
export function readModelRoutes(deps: { pool: Pool; projections: Consumers }): Router {
  const router = Router();
  const { pool, projections } = deps;

  router.get('/orders/:id', async (req, res) => {
    const { id } = params(OrderParams, req);
    await awaitProjection(req, projections, ORDER_SUMMARY);
    const order = await findOrderSummary(pool, id);
    if (!order) throw new HttpProblem('not-found', `order ${id} not found`);
    res.json(order);
  });

  router.get('/orders', async (req, res) => {
    const filter = query(OrderQuery, req);
    await awaitProjection(req, projections, ORDER_SUMMARY);
    res.json({ orders: await listOrderSummaries(pool, filter) });
  });

  router.get('/inventory', async (req, res) => {
    const { limit } = query(InventoryQuery, req);
    await awaitProjection(req, projections, STOCK_LEVELS);
    res.json({ items: await listStockLevels(pool, limit) });
  });

  return router;
}
