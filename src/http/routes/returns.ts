import { Router } from 'express';
import { z } from 'zod';
import { orderDecider, orderStreamId } from '../../domain';
import type { CommandHandler, EventStore } from '../../eventstore';
import { returnSagaId } from '../../process-managers';
import type { Access } from '../auth';
import { HttpProblem } from '../problem';
import { body, header, params } from '../validate';

const OrderParams = z.object({ id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'an order id') });
const ReturnBody = z.object({ reason: z.string().trim().min(1).max(1000) });
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
  router.post('/orders/:id/return', deps.access.client, async (req, res) => {
    const { id } = params(OrderParams, req);
    const key = header(IdempotencyKey, req, 'Idempotency-Key');
    const { reason } = body(ReturnBody, req);
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
  });

  return router;
}
