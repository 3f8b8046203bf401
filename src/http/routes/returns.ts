import { Router } from 'express';
import { z } from 'zod';
import { orderDecider, orderStreamId } from '../../domain';
import type { CommandHandler, EventStore } from '../../eventstore';
import { returnSagaId } from '../../process-managers';
import { HttpProblem } from '../problem';
import { route } from '../route';
import type { Access } from '../auth';

const OrderParams = z.object({ id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'an order id') });
const ReturnBody = z.object({ reason: z.string().trim().min(1).max(1000) });
const ReturnRequested = z.object({ orderId: z.string(), status: z.literal('return_requested'), sagaId: z.string(), position: z.number().int() });
const IdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'up to 128 letters, digits, ".", "_", ":" or "-"')
  .optional();

export function returnRoutes(deps: { store: EventStore; handler: CommandHandler; access: Access }): Router {
  const router = Router();

  /**
   * Record a return request on a confirmed order. The order-returns process
   * manager reacts by starting the return saga, whose id follows from the
   * event's id, so it is known (and linked) before the saga exists. An
   * Idempotency-Key makes a retried request answer the same.
   */
  route(
    router,
    {
      method: 'post',
      path: '/orders/:id/return',
      auth: deps.access.client,
      tag: 'orders',
      summary: 'Request a return of a confirmed order: the order-returns process manager starts the return saga',
      params: OrderParams,
      headers: z.object({ 'Idempotency-Key': IdempotencyKey }),
      body: ReturnBody,
      responses: { 202: { description: 'Return requested; `sagaId` is the return saga that will run', body: ReturnRequested, headers: { Location: 'The return saga: /sagas/<sagaId>' } } },
      problems: ['not-found', 'business-rule'],
    },
    async ({ params: { id }, headers, body: { reason } }, _req, res) => {
      const key = headers['Idempotency-Key'];
      const streamId = orderStreamId(id);
      if ((await deps.store.streamVersion(streamId)) === 0) throw new HttpProblem('not-found', `order ${id} not found`);
      // Not confirmed, or already being returned: the decider refuses (409, nothing written).
      const result = await deps.handler.handle([{ decider: orderDecider, streamId, command: { type: 'RequestReturn', reason } }], {
        commandId: key && `return-request:${id}:${key}`,
      });
      const [requested] = await deps.store.readPositions(result.append.streams[0].positions);
      const sagaId = returnSagaId(requested.eventId);
      res
        .status(202)
        .location(`/sagas/${encodeURIComponent(sagaId)}`)
        .json({ orderId: id, status: 'return_requested', sagaId, position: result.append.lastPosition });
    },
  );

  return router;
}
