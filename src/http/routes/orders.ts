import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { latestCorrelatedPosition } from '../../projections';
import type { SagaEngine } from '../../saga/engine';
import type { Privacy } from '../../privacy/privacy';
import { OrderRequest, type SealedOrderInput } from '../../sagas/order-fulfillment/input';
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

interface RecordedRequest {
  request_hash: string;
  input: SealedOrderInput;
}

export function orderRoutes(deps: { engine: SagaEngine; pool: Pool; privacy: Privacy }): Router {
  const router = Router();

  /**
   * The request under `sagaId`, recorded now with its input sealed (the
   * customer's data key is made here), or the one recorded first. `fresh`
   * when this request recorded it.
   */
  async function recordRequest(sagaId: string, request: OrderRequest): Promise<RecordedRequest & { fresh: boolean }> {
    const find = () => deps.pool.query<RecordedRequest>('SELECT request_hash, input FROM saga_requests WHERE saga_id = $1', [sagaId]);
    const first = (await find()).rows[0];
    if (first) return { ...first, fresh: false };
    const input = (await deps.engine.protect('order-fulfillment', { ...request, orderId: randomUUID() })) as SealedOrderInput;
    const hash = (await deps.privacy.fingerprint(request.customerId, canonical(request)))!;
    const inserted = await deps.pool.query(
      `INSERT INTO saga_requests (saga_id, saga_type, business_key, request_hash, input)
       VALUES ($1, 'order-fulfillment', $2, $3, $4) ON CONFLICT DO NOTHING`,
      [sagaId, input.orderId, hash, JSON.stringify(input)],
    );
    if (inserted.rowCount) return { request_hash: hash, input, fresh: true };
    // A concurrent first request with this key won (what this one sealed stays unused).
    return { ...(await find()).rows[0], fresh: false };
  }

  /**
   * Start an order-fulfillment saga. The Idempotency-Key becomes the saga id:
   * the same key and body return the same saga; the same key with another
   * body is refused. Bodies are compared by a fingerprint keyed with the
   * customer's data key, so no hash of their personal data outlives the key.
   */
  router.post('/orders', async (req, res) => {
    const key = header(IdempotencyKey, req, 'Idempotency-Key');
    const request = body(OrderRequest, req);
    const sagaId = key ?? randomUUID();
    const existing = await recordRequest(sagaId, request);
    if (!existing.fresh && existing.request_hash !== (await deps.privacy.fingerprint(request.customerId, canonical(request)))) {
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
    const position = await latestCorrelatedPosition(deps.pool, sagaId, preferredWaitMs(req));
    res
      .status(202)
      .location(`/sagas/${encodeURIComponent(sagaId)}`)
      .json({ orderId: existing.input.orderId, sagaId, status: view?.status ?? 'RUNNING', position });
  });

  return router;
}
