import { DBOS } from '@dbos-inc/dbos-sdk';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { EventStore } from '../../eventstore';
import type { Consumers } from '../../consumers';
import { listSagaOverviews, SAGA_OVERVIEW } from '../../projections';
import type { ControlMessage } from '../../saga/definition';
import type { SagaEngine } from '../../saga/engine';
import { sagaStreamId } from '../../saga/events';
import { foldSaga, SAGA_STATUSES } from '../../saga/state';
import { HttpProblem } from '../problem';
import { awaitProjection } from '../read-your-writes';
import { body, header, params, query } from '../validate';

const SagaParams = z.object({ id: z.string().min(1).max(128) });
const ListQuery = z.object({
  status: z.enum(SAGA_STATUSES).optional(),
  type: z.string().min(1).optional(),
  /** The business key, e.g. the order id of an order-fulfillment saga; `orderId` is an alias. */
  businessKey: z.string().min(1).max(200).optional(),
  orderId: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
/** Who acted, recorded on the event; optional everywhere (the README says so), defaulting to "operator". */
const Actor = z.string().min(1).max(100).default('operator');
const ActionBody = z.object({ actor: Actor, reason: z.string().min(1).max(1000).optional() });
const ResolveBody = ActionBody.extend({ reason: z.string().min(1).max(1000) });
const ForkBody = ActionBody.extend({ fromStep: z.union([z.number().int().min(0), z.string().min(1).max(100)]) });
const ForkId = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'up to 128 letters, digits, ".", "_", ":" or "-"').optional();

export function sagaRoutes(deps: { engine: SagaEngine; store: EventStore; projections: Consumers; operator: RequestHandler }): Router {
  const router = Router();

  router.get('/sagas/:id', async (req, res) => {
    const { id } = params(SagaParams, req);
    const events = await deps.store.readStream(sagaStreamId(id));
    const view = foldSaga(id, events);
    const workflow = await DBOS.getWorkflowStatus(id);
    if (!view && !workflow) throw new HttpProblem('not-found', `saga ${id} not found`);
    res.json({
      ...(view ?? { sagaId: id, status: 'RUNNING', steps: [], compensations: [] }),
      workflow: workflow && { status: workflow.status, executorId: workflow.executorId, applicationVersion: workflow.applicationVersion },
      events: events.map((e) => ({
        position: e.streamPosition,
        globalPosition: e.globalPosition,
        type: e.type,
        data: e.data,
        metadata: e.metadata,
        recordedAt: e.recordedAt,
      })),
    });
  });

  // Served by the saga-overview projection; `?after=<position>` waits for it (read-your-writes).
  router.get('/sagas', async (req, res) => {
    const { orderId, businessKey, ...q } = query(ListQuery, req);
    await awaitProjection(req, deps.projections, SAGA_OVERVIEW);
    res.json({ sagas: await listSagaOverviews(deps.store.pool, { ...q, businessKey: businessKey ?? orderId }) });
  });

  const act = (action: ControlMessage['action'], schema: z.ZodType<{ actor: string; reason?: string }>) =>
    router.post(`/sagas/:id/${action}`, deps.operator, async (req, res) => {
      const { id } = params(SagaParams, req);
      const { actor, reason } = body(schema, req);
      const view = await deps.engine.act(id, { action, actor, reason });
      res.status(202).json({ sagaId: id, action, status: view.status });
    });
  act('approve', ActionBody);
  act('reject', ActionBody);
  act('cancel', ActionBody);
  act('retry', ActionBody);
  act('resolve', ResolveBody);

  /**
   * Re-run a finished saga from one of its steps as a new saga (DBOS fork;
   * semantics in src/saga/fork.ts). `fromStep` is a DBOS step id or a step
   * name. An Idempotency-Key becomes the new saga's id: a retry forks once.
   */
  router.post('/sagas/:id/fork', deps.operator, async (req, res) => {
    const { id } = params(SagaParams, req);
    const newSagaId = header(ForkId, req, 'Idempotency-Key');
    const request = body(ForkBody, req);
    const fork = await deps.engine.fork(id, { ...request, newSagaId }).catch((err: { code?: string; message: string }) => {
      if (err.code === 'INVALID_FORK_STEP') throw new HttpProblem('invalid-request', err.message, { errors: [{ field: 'fromStep', message: err.message }] });
      if (err.code === 'SAGA_ID_IN_USE') throw new HttpProblem('conflict', err.message, { errors: [{ field: 'Idempotency-Key', message: err.message }] });
      throw err;
    });
    res.status(202).location(`/sagas/${encodeURIComponent(fork.sagaId)}`).json(fork);
  });

  return router;
}
