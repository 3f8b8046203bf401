import { DBOS } from '@dbos-inc/dbos-sdk';
import { z } from 'zod';
import { EventRegistry, EventStore, SnapshotStore } from '../../src/eventstore';
import { createLogger } from '../../src/log';
import type { SagaDefinition } from '../../src/saga/definition';
import { SagaEngine } from '../../src/saga/engine';
import { sagaEvents } from '../../src/saga/events';
import { StepExecutor } from '../../src/saga/executor';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { Added, counter, Reset } from '../support/events';

/**
 * The step transaction, on the real engine, DBOS and Postgres, with a toy saga
 * (no HTTP, no providers): what a step commits, and what happens when its
 * transaction fails for a reason that a fresh transaction would not meet.
 */
let db: TestDatabase;
let store: EventStore;
let engine: SagaEngine;
/** Sagas whose second step's transaction fails once with a serialization failure. */
const failOnce = new Set<string>();

const toy: SagaDefinition<{ id: string }> = {
  type: 'toy',
  input: z.object({ id: z.string() }),
  businessKey: (input) => input.id,
  async run(saga, { id }) {
    const add = (amount: number) => [{ decider: counter, streamId: `counter-${id}`, command: { type: 'Add', amount } }];
    await saga.step('first', { commands: () => add(1) });
    await saga.step('second', {
      commands: () => {
        if (failOnce.delete(id)) throw Object.assign(new Error('could not serialize access'), { code: '40001' });
        return add(2);
      },
    });
    return { done: id };
  },
};

beforeAll(async () => {
  db = await createTestDatabase('step_tx');
  store = new EventStore(db.pool, new EventRegistry([Added, Reset, ...sagaEvents]));
  const log = createLogger('silent');
  const executor = new StepExecutor({ store, snapshots: new SnapshotStore(db.pool, 50), log, retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 } });
  engine = new SagaEngine(store, executor, { rounds: 2, roundDelayMs: 10 }, 3600).register(toy);
  DBOS.setConfig({ name: 'step-tx', systemDatabaseUrl: db.url, applicationVersion: 'step-tx-test', logLevel: 'error' });
  await DBOS.launch();
});
afterAll(async () => {
  await DBOS.shutdown();
  await db.drop();
});

async function run(id: string) {
  return (await engine.start('toy', id, { id })).getResult();
}

/** Each DBOS checkpoint of the saga, with the transaction that wrote it (xmin). */
async function checkpoints(id: string) {
  const { rows } = await db.pool.query<{ name: string; xid: string; error: string | null }>(
    'SELECT function_name AS name, xmin::text AS xid, error FROM dbos.operation_outputs WHERE workflow_uuid = $1 ORDER BY function_id',
    [id],
  );
  return rows;
}

/** xid8 → the 32-bit xid a row's xmin shows. */
const xid = (txid: string) => String(BigInt(txid) % 2n ** 32n);

test('a step without a call is one transaction: domain events, saga events and DBOS checkpoint; the last one also completes the saga', async () => {
  expect(await run('one')).toEqual({ status: 'COMPLETED', output: { done: 'one' } });
  const steps = await checkpoints('one');
  // Two steps, two checkpoints: no separate transaction for the saga's completion.
  expect(steps.map((s) => s.name)).toEqual(['first', 'second']);
  const domain = await store.readStream('counter-one');
  const saga = await store.readStream('saga-one');
  expect(saga.map((e) => e.type)).toEqual(['SagaStarted', 'StepSucceeded', 'StepSucceeded', 'SagaCompleted']);
  expect(saga.at(-1)!.data).toEqual({ output: { done: 'one' } });
  const [first, second] = steps;
  expect([xid(domain[0].txid), xid(saga[0].txid), xid(saga[1].txid)]).toEqual([first.xid, first.xid, first.xid]);
  expect([xid(domain[1].txid), xid(saga[2].txid), xid(saga[3].txid)]).toEqual([second.xid, second.xid, second.xid]);
});

test('a serialization failure inside a step\'s transaction is retried in a fresh one, never recorded as the step\'s outcome', async () => {
  failOnce.add('flaky');
  expect(await run('flaky')).toEqual({ status: 'COMPLETED', output: { done: 'flaky' } });
  const steps = await checkpoints('flaky');
  // DBOS keeps the failed attempt's error under its own step id; the retry is a new step.
  expect(steps.map((s) => [s.name, s.error !== null])).toEqual([['first', false], ['second', true], ['second', false]]);
  const saga = await store.readStream('saga-flaky');
  expect(saga.map((e) => e.type)).toEqual(['SagaStarted', 'StepSucceeded', 'StepSucceeded', 'SagaCompleted']);
  expect((await store.readStream('counter-flaky')).map((e) => e.data)).toEqual([{ amount: 1 }, { amount: 2 }]);
});

