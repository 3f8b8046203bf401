import { createHash, randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { latestCorrelatedPosition } from '../../consumers';
import type { EventStore } from '../../eventstore';
import type { SagaEngine } from '../../saga/engine';
import { OrderRequest, type OrderFulfillmentInput } from '../../sagas/order-fulfillment/input';
import { HttpProblem } from '../problem';
import { preferredWaitMs } from '../read-your-writes';
import { body, header } from '../validate';

const IdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'up to 128 letters, digits, ".", "_", ":" or "-"')
  .optional();

/** Canonical JSON (sorted keys), so a retried body hashes the same whatever its key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function orderRoutes(deps: { engine: SagaEngine; pool: Pool; store: EventStore }): Router {
  const router = Router();

  /**
   * Start an order-fulfillment saga. The Idempotency-Key becomes the saga id:
   * the same key and body return the same saga; the same key with another
   * body is refused.
   */
  router.post('/orders', async (req, res) => {
    const key = header(IdempotencyKey, req, 'Idempotency-Key');
    const request = body(OrderRequest, req);
    const hash = createHash('sha256').update(canonical(request)).digest('hex');
    const sagaId = key ?? randomUUID();
    const fresh: OrderFulfillmentInput = { ...request, orderId: randomUUID() };
    const { rows } = await deps.pool.query<{ request_hash: string; input: OrderFulfillmentInput }>(
      `WITH ins AS (
         INSERT INTO saga_requests (saga_id, saga_type, business_key, request_hash, input)
         VALUES ($1, 'order-fulfillment', $2, $3, $4) ON CONFLICT DO NOTHING RETURNING request_hash, input)
       SELECT request_hash, input FROM ins
       UNION ALL SELECT request_hash, input FROM saga_requests WHERE saga_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)`,
      [sagaId, fresh.orderId, hash, JSON.stringify(fresh)],
    );
    // A concurrent first request with this key committed after this statement's
    // snapshot was taken: the insert found the conflict but the select cannot
    // see the row. A new statement (a new snapshot) can.
    const existing =
      rows[0] ??
      (
        await deps.pool.query<{ request_hash: string; input: OrderFulfillmentInput }>(
          'SELECT request_hash, input FROM saga_requests WHERE saga_id = $1',
          [sagaId],
        )
      ).rows[0];
    if (existing.request_hash !== hash) {
      throw new HttpProblem('idempotency-key-reused', `Idempotency-Key ${sagaId} was used for a different request`, {
        errors: [{ field: 'Idempotency-Key', message: 'already used with a different body' }],
      });
    }
    // Starting an existing saga id is a no-op in DBOS; it also completes a
    // start that a crash interrupted after the request was recorded.
    await deps.engine.start('order-fulfillment', sagaId, existing.input);
    const view = await deps.engine.view(sagaId);
    // For read-your-writes (`?after=`): the saga's newest event so far (its steps run
    // asynchronously, so 0 until the first one commits, unless `Prefer: wait=<s>`).
    const position = await latestCorrelatedPosition(deps.store, sagaId, preferredWaitMs(req));
    res
      .status(202)
      .location(`/sagas/${encodeURIComponent(sagaId)}`)
      .json({ orderId: existing.input.orderId, sagaId, status: view?.status ?? 'RUNNING', position });
  });

  return router;
}
