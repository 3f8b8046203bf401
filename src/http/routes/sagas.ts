import { DBOS } from '@dbos-inc/dbos-sdk';
import { Router } from 'express';
import { z } from 'zod';
import { deciders } from '../../domain';
import type { EventStore } from '../../eventstore';
import type { Consumers } from '../../consumers';
import { listSagaOverviews, SAGA_OVERVIEW } from '../../projections';
import type { OperatorMessage, SagaEngine } from '../../saga/engine';
import { sagaStreamId } from '../../saga/events';
import { foldSaga, SAGA_STATUSES } from '../../saga/state';
import { HttpProblem } from '../problem';
import { awaitProjection, ReadYourWritesQuery } from '../read-your-writes';
import { ActionAccepted, ForkResultBody as ForkResult, SagaDetail, SagaList, SagaStreams } from '../responses';
import { route } from '../route';
import type { Access } from '../auth';

const SagaParams = z.object({ id: z.string().min(1).max(128) });
const ListQuery = z.object({
  status: z.enum(SAGA_STATUSES).optional(),
  type: z.string().min(1).optional(),
  /** The business key, e.g. the order id of an order-fulfillment saga; `orderId` is an alias. */
  businessKey: z.string().min(1).max(200).optional(),
  orderId: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  ...ReadYourWritesQuery,
});
/** Who acted, recorded on the event; optional everywhere (the README says so), defaulting to "operator". */
const Actor = z.string().min(1).max(100).default('operator');
const ActionBody = z.object({ actor: Actor, reason: z.string().min(1).max(1000).optional() });
const ResolveBody = ActionBody.extend({ reason: z.string().min(1).max(1000) });
const ForkBody = ActionBody.extend({ fromStep: z.union([z.number().int().min(0), z.string().min(1).max(100)]) });
const SignalParams = SagaParams.extend({ name: z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'up to 100 letters, digits, ".", "_", ":" or "-"') });
const SignalBody = z.object({ actor: Actor, payload: z.json().optional() });
const SignalAccepted = z.object({ sagaId: z.string(), signal: z.string(), status: z.enum(SAGA_STATUSES) });
const ForkId = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'up to 128 letters, digits, ".", "_", ":" or "-"').optional();

export function sagaRoutes(deps: { engine: SagaEngine; store: EventStore; projections: Consumers; access: Access }): Router {
  const router = Router();

  route(
    router,
    {
      method: 'get',
      path: '/sagas/:id',
      auth: deps.access.reader,
      tag: 'sagas',
      summary: 'One saga: status, steps, compensations, input, and its events',
      params: SagaParams,
      responses: { 200: { description: 'The saga, folded from its stream', body: SagaDetail } },
      problems: ['not-found'],
    },
    async ({ params: { id } }, _req, res) => {
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
    },
  );

  /**
   * The streams a saga wrote to besides its own: every stream with an event
   * whose correlation id is the saga's (DESIGN: metadata carries it), so the
   * console shows what any saga type touched without knowing its domain.
   */
  route(
    router,
    {
      method: 'get',
      path: '/sagas/:id/streams',
      auth: deps.access.reader,
      tag: 'sagas',
      summary: 'The streams the saga touched (events correlated with it), each with its current version',
      params: SagaParams,
      responses: { 200: { description: 'Streams in the order the saga first wrote to them; `aggregate` says GET /aggregates/<category>/<id> folds it', body: SagaStreams } },
    },
    async ({ params: { id } }, _req, res) => {
      const own = sagaStreamId(id);
      const streams = new Map<string, { streamId: string; category: string; id: string; aggregate: boolean; events: number }>();
      for (const e of await deps.store.readCorrelation(id)) {
        if (e.streamId === own) continue;
        const category = e.streamId.split('-', 1)[0];
        const entry = streams.get(e.streamId) ?? { streamId: e.streamId, category, id: e.streamId.slice(category.length + 1), aggregate: Object.hasOwn(deciders, category), events: 0 };
        entry.events++;
        streams.set(e.streamId, entry);
      }
      const versions = await Promise.all([...streams.keys()].map((s) => deps.store.streamVersion(s)));
      res.json({ sagaId: id, streams: [...streams.values()].map((s, i) => ({ ...s, version: versions[i] })) });
    },
  );

  // Served by the saga-overview projection; `?after=<position>` waits for it (read-your-writes).
  route(
    router,
    {
      method: 'get',
      path: '/sagas',
      auth: deps.access.reader,
      tag: 'sagas',
      summary: 'Sagas, newest first, from the saga-overview read model',
      description: '`?after=<position>` (or X-After-Position) waits until the read model has applied that event (read-your-writes), at most `waitMs`.',
      query: ListQuery,
      responses: { 200: { description: 'Matching sagas', body: SagaList } },
      problems: ['read-model-behind'],
    },
    async ({ query: { orderId, businessKey, after: _a, waitMs: _w, ...q } }, req, res) => {
      await awaitProjection(req, deps.projections, SAGA_OVERVIEW);
      res.json({ sagas: await listSagaOverviews(deps.store.pool, { ...q, businessKey: businessKey ?? orderId }) });
    },
  );

  const act = (action: OperatorMessage['action'], schema: z.ZodType<{ actor: string; reason?: string }>, summary: string) =>
    route(
      router,
      {
        method: 'post',
        path: `/sagas/:id/${action}`,
        tag: 'operator',
        summary,
        auth: deps.access.operator,
        params: SagaParams,
        body: schema,
        responses: { 202: { description: 'Accepted: the status the saga had when the action was recorded (it acts on it afterwards)', body: ActionAccepted } },
        problems: ['not-found', 'conflict'],
      },
      async ({ params: { id }, body: { actor, reason } }, _req, res) => {
        const view = await deps.engine.act(id, { action, actor, reason });
        res.status(202).json({ sagaId: id, action, status: view.status });
      },
    );
  act('approve', ActionBody, 'Approve a saga awaiting approval');
  act('reject', ActionBody, 'Reject a saga awaiting approval: it compensates');
  act('cancel', ActionBody, 'Cancel a saga before its pivot: it compensates');
  act('retry', ActionBody, 'Retry a parked saga (FAILED, COMPENSATION_STUCK, QUARANTINED)');
  act('resolve', ResolveBody, 'Mark a stuck compensation resolved by hand (a reason is required)');

  /** A signal for the saga's waitForSignal(name): kept until the saga waits for it. */
  route(
    router,
    {
      method: 'post',
      path: '/sagas/:id/signals/:name',
      auth: deps.access.client,
      tag: 'sagas',
      summary: "Send a signal to a saga's waitForSignal(name), now or later (it is kept until the saga waits for it)",
      params: SignalParams,
      body: SignalBody,
      responses: { 202: { description: 'Recorded (SagaSignalled) and delivered to the saga', body: SignalAccepted } },
      problems: ['not-found', 'conflict'],
    },
    async ({ params: { id, name }, body: { actor, payload } }, _req, res) => {
      const view = await deps.engine.signal(id, name, payload, actor);
      res.status(202).json({ sagaId: id, signal: name, status: view.status });
    },
  );

  /**
   * Re-run a finished saga from one of its steps as a new saga (DBOS fork;
   * semantics in src/saga/fork.ts). `fromStep` is a DBOS step id or a step
   * name. An Idempotency-Key becomes the new saga's id: a retry forks once.
   */
  route(
    router,
    {
      method: 'post',
      path: '/sagas/:id/fork',
      tag: 'operator',
      summary: 'Re-run a finished saga from one of its steps as a new saga',
      auth: deps.access.operator,
      params: SagaParams,
      headers: z.object({ 'Idempotency-Key': ForkId }),
      body: ForkBody,
      responses: { 202: { description: 'The new saga', body: ForkResult, headers: { Location: 'The new saga: /sagas/<sagaId>' } } },
      problems: ['not-found', 'conflict'],
    },
    async ({ params: { id }, headers, body: request }, _req, res) => {
      const newSagaId = headers['Idempotency-Key'];
      const fork = await deps.engine.fork(id, { ...request, newSagaId }).catch((err: { code?: string; message: string }) => {
        if (err.code === 'INVALID_FORK_STEP') throw new HttpProblem('invalid-request', err.message, { errors: [{ field: 'fromStep', message: err.message }] });
        if (err.code === 'SAGA_ID_IN_USE') throw new HttpProblem('conflict', err.message, { errors: [{ field: 'Idempotency-Key', message: err.message }] });
        throw err;
      });
      res.status(202).location(`/sagas/${encodeURIComponent(fork.sagaId)}`).json(fork);
    },
  );

  return router;
}
