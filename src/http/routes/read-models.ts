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
import { awaitProjection, ReadYourWritesQuery } from '../read-your-writes';
import { OrderList, OrderSummaryBody, StockList } from '../responses';
import { route } from '../route';
import type { Access } from '../auth';

const OrderParams = z.object({ id: z.string().min(1).max(200) });
const OrderQuery = z.object({
  status: z.enum(ORDER_STATUSES).optional(),
  customerId: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  ...ReadYourWritesQuery,
});
const InventoryQuery = z.object({ limit: z.coerce.number().int().min(1).max(5000).default(1000), ...ReadYourWritesQuery });
const ReadQuery = z.object(ReadYourWritesQuery);
const waits = 'Served by a read model: `?after=<position>` (or X-After-Position) waits until it has applied that event (read-your-writes).';

/** Queries served by the read models (projections), never by folding streams. */
export function readModelRoutes(deps: { pool: Pool; projections: Consumers; access: Access }): Router {
  const router = Router();
  const { pool, projections } = deps;

  route(
    router,
    {
      method: 'get',
      path: '/orders/:id',
      auth: deps.access.reader,
      tag: 'orders',
      summary: "An order's summary (order, payment and shipment)",
      description: waits,
      params: OrderParams,
      query: ReadQuery,
      responses: { 200: { description: 'The order', body: OrderSummaryBody } },
      problems: ['not-found', 'read-model-behind'],
    },
    async ({ params: { id } }, req, res) => {
      await awaitProjection(req, projections, ORDER_SUMMARY);
      const order = await findOrderSummary(pool, id);
      if (!order) throw new HttpProblem('not-found', `order ${id} not found`);
      res.json(order);
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/orders',
      auth: deps.access.reader,
      tag: 'orders',
      summary: 'Orders, newest first',
      description: waits,
      query: OrderQuery,
      responses: { 200: { description: 'Matching orders', body: OrderList } },
      problems: ['read-model-behind'],
    },
    async ({ query: { after: _a, waitMs: _w, ...filter } }, req, res) => {
      await awaitProjection(req, projections, ORDER_SUMMARY);
      res.json({ orders: await listOrderSummaries(pool, filter) });
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/inventory',
      tag: 'orders',
      summary: 'Stock levels per SKU',
      description: waits,
      query: InventoryQuery,
      responses: { 200: { description: 'Stock levels', body: StockList } },
      problems: ['read-model-behind'],
    },
    async ({ query: { limit } }, req, res) => {
      await awaitProjection(req, projections, STOCK_LEVELS);
      res.json({ items: await listStockLevels(pool, limit) });
    },
  );

  return router;
}
