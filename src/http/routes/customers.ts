import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { Id, Reason } from '../../domain/shared';
import type { EventStore } from '../../eventstore';
import { forgetCustomer } from '../../privacy';
import { HttpProblem } from '../problem';
import { body, params } from '../validate';

const CustomerParams = z.object({ customerId: Id });
/** Who erased whom and why stays on the record (the event): both are required. */
const ForgetBody = z.object({ actor: z.string().min(1).max(100), reason: Reason.max(1000) });

export function customerRoutes(deps: { store: EventStore; operator: RequestHandler }): Router {
  const router = Router();

  /**
   * Forget a customer (GDPR erasure by crypto-shredding, see forget.ts):
   * 200 with when it happened, the same on a repeat; 404 for a customer
   * whose data we never sealed (no key: nothing to forget).
   */
  router.post('/customers/:customerId/forget', deps.operator, async (req, res) => {
    const { customerId } = params(CustomerParams, req);
    const request = body(ForgetBody, req);
    const forgotten = await forgetCustomer(deps.store, customerId, request);
    if (!forgotten) throw new HttpProblem('not-found', `no personal data of customer ${customerId} is held`);
    res.json(forgotten);
  });

  return router;
}
