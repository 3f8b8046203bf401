import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { createRegistry } from '../../src/app';
import { Consumers } from '../../src/consumers';
import { domainEvents } from '../../src/domain';
import { defineEvent, EventRegistry, EventStore } from '../../src/eventstore';
import { createLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import { OperatorActionRequested, SagaCompleted, SagaStarted, sagaEvents, sagaStreamId } from '../../src/saga/events';
import { StepExecutor } from '../../src/saga/executor';
import { collector } from '../consumers/counting';
import { parseMetrics } from '../metrics/prometheus';
import { createTestDatabase, type TestDatabase } from '../support/db';

/**
 * History written under v1 of OperatorActionRequested, read by code that
 * registers a v2 (a new field, filled in by an upcaster). Every reader of
 * saga events goes through the store, which upcasts: the saga executor's
 * cancel look-up, the consumers' feed, the metrics' saga-type look-up.
 */
const OperatorActionRequestedV2 = defineEvent(
  'OperatorActionRequested',
  OperatorActionRequested.schema.extend({ channel: z.enum(['http', 'broker']) }),
  { version: 2, upcasters: { 1: (v1: object) => ({ ...v1, channel: 'http' }) } },
);
const v2Registry = () =>
  new EventRegistry([...domainEvents, ...sagaEvents.filter((d) => d.type !== 'OperatorActionRequested'), OperatorActionRequestedV2]);

let db: TestDatabase;
let v2: EventStore;
const log = createLogger('silent');
const sagaId = 'v2-saga';

beforeAll(async () => {
  db = await createTestDatabase('upcasting_v2');
  // Written by the code of yesterday (v1)…
  const v1 = new EventStore(db.pool, createRegistry());
  const deadline = new Date(Date.now() + 3_600_000).toISOString();
  await v1.append(sagaStreamId(sagaId), [
    SagaStarted({ sagaType: 'order-fulfillment', businessKey: 'order-v2', input: {}, deadline }),
    OperatorActionRequested({ action: 'cancel', actor: 'ops', reason: 'customer called' }),
  ]);
  // …read by the code of today (v2).
  v2 = new EventStore(db.pool, v2Registry());
});
afterAll(() => db.drop());

test('the store hands the v1 event over as v2, keeping the version it was stored under', async () => {
  const [request] = await v2.readStreamTypes(sagaStreamId(sagaId), ['OperatorActionRequested']);
  expect(request).toMatchObject({ schemaVersion: 1, data: { action: 'cancel', actor: 'ops', reason: 'customer called', channel: 'http' } });
});

test('the saga executor’s cancel look-up finds the v1 cancel through the store', async () => {
  const executor = new StepExecutor({ store: v2, log, retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
  let called = false;
  const outcome = await executor.call({ sagaId, step: 'reserve', callId: `${sagaId}/1-reserve.call` }, async () => (called = true), {
    sagaId,
    deadline: new Date(Date.now() + 3_600_000).toISOString(),
    forked: false,
  });
  expect(outcome).toEqual({ kind: 'interrupted', cause: 'cancelled', reason: 'customer called' });
  expect(called).toBe(false);
});

test('consumers are handed the upcast event', async () => {
  const consumer = collector('v2-collector', 'saga');
  const consumers = new Consumers(db.pool, v2, { owner: 'v2', consumers: [consumer], log, minPollMs: 5, maxPollMs: 20, coalesceMs: 0 });
  await consumers.start();
  try {
    for (let i = 0; i < 500 && consumer.delivered.length < 2; i++) await sleep(10);
  } finally {
    await consumers.stop();
  }
  expect(consumer.delivered.find((e) => e.type === 'OperatorActionRequested')).toMatchObject({ data: { channel: 'http' } });
  expect(consumer.delivered.every((e) => e.decodeError === undefined)).toBe(true);
});

test('the metrics look up the type of a saga they did not see start through the store', async () => {
  const metrics = new Metrics(db.pool, log);
  metrics.useStore(v2);
  metrics.onAppended([{ streamId: sagaStreamId(sagaId), events: [SagaCompleted({})] }]);
  let values: Record<string, number> = {};
  for (let i = 0; i < 100 && !values['saga_completed_total{saga_type="order-fulfillment"}']; i++) {
    await sleep(10);
    values = parseMetrics((await metrics.render()).body);
  }
  expect(values['saga_completed_total{saga_type="order-fulfillment"}']).toBe(1);
});
