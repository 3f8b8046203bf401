import { Router } from 'express';
import { z } from 'zod';
import { Id, Reason } from '../../domain/shared';
import type { EventStore } from '../../eventstore';
import { forgetCustomer } from '../../privacy';
import { HttpProblem } from '../problem';
import { route } from '../route';
import type { Access } from '../auth';

const CustomerParams = z.object({ customerId: Id });
/** Who erased whom and why stays on the record (the event): both are required. */
const ForgetBody = z.object({ actor: z.string().min(1).max(100), reason: Reason.max(1000) }).meta({ examples: [{ actor: 'dpo', reason: 'erasure request #42' }] });
const Forgotten = z.object({ customerId: z.string(), forgottenAt: z.string(), position: z.number().int() });

export function customerRoutes(deps: { store: EventStore; access: Access }): Router {
  const router = Router();

  /**
   * Forget a customer (GDPR erasure by crypto-shredding, see forget.ts):
   * 200 with when it happened, the same on a repeat; 404 for a customer
   * whose data we never sealed (no key: nothing to forget).
   */
  route(
    router,
    {
      method: 'post',
      path: '/customers/:customerId/forget',
      tag: 'operator',
      summary: "Forget a customer: their data key is deleted, so their personal data reads '[forgotten]' everywhere (the events stay)",
      auth: deps.access.operator,
      params: CustomerParams,
      body: ForgetBody,
      responses: { 200: { description: 'Forgotten now, or already (the same answer)', body: Forgotten } },
      problems: ['not-found'],
    },
    async ({ params: { customerId }, body }, _req, res) => {
      const forgotten = await forgetCustomer(deps.store, customerId, body);
      if (!forgotten) throw new HttpProblem('not-found', `no personal data of customer ${customerId} is held`);
      res.json(forgotten);
    },
  );

  return router;
}
