import { DBOS } from '@dbos-inc/dbos-sdk';
import * as dbosInternal from '@dbos-inc/dbos-sdk/internal/dbos';
import type { PoolClient } from '../db/pool';

/**
 * The engine's only two ways of making progress durable, on DBOS.
 *
 * `step` is a DBOS step: for work outside the database (a provider call). It
 * is checkpointed after it returns, so a crash before the checkpoint runs it
 * again.
 *
 * `transaction` runs `work` on a client of DBOS's system database inside the
 * transaction that also writes DBOS's checkpoint of the step: the work and
 * the checkpoint commit together or not at all, so a replay finds the result
 * and never runs `work` again. This is DBOS's internal
 * `runTransactionalInternalStep` (DBOS itself uses it for schedules). Our
 * tables live in the same database as DBOS's, which is what makes one
 * transaction possible; the public alternative (a data source) commits the
 * work and the checkpoint separately. Being internal, it is pinned with the
 * exact DBOS version in package.json, checked at start (assertDurableApi),
 * and its contract is tested in test/saga/durable.test.ts.
 *
 * What DBOS does with errors thrown by `work`: connection-class errors are
 * retried in a fresh transaction; any other error rolls the transaction back
 * and is then recorded as the step's outcome, so a replay throws it again.
 */
export interface Durable {
  step<T>(name: string, work: () => Promise<T>): Promise<T>;
  transaction<T>(name: string, work: (client: PoolClient) => Promise<TransactionResult<T>>): Promise<T>;
  /** DBOS's durable sleep and message receive, from workflow code. */
  sleep(ms: number): Promise<void>;
  recv<T>(topic: string, deadlineEpochMS: number): Promise<T | null>;
  /** DBOS's durable send to another workflow, from workflow code. */
  send(destination: string, message: unknown, topic: string): Promise<void>;
  /** `start` starts a child workflow (DBOS records the child in the parent's steps). */
  startChild(start: () => Promise<unknown>): Promise<void>;
}

/** `value` is the checkpointed result; `afterCommit` runs once the work committed (never on a replay). */
export interface TransactionResult<T> {
  value: T;
  afterCommit?: () => void;
}

type TransactionalStep = <T>(callback: (client: PoolClient | undefined) => Promise<T>, funcName: string) => Promise<T>;

const runTransactionalInternalStep = (dbosInternal as { runTransactionalInternalStep?: TransactionalStep }).runTransactionalInternalStep;

/** Fails at start, not mid-saga, when a DBOS upgrade moved the internal API. */
export function assertDurableApi(): void {
  if (typeof runTransactionalInternalStep !== 'function' || runTransactionalInternalStep.length !== 2) {
    throw new Error(
      'DBOS internal runTransactionalInternalStep(callback, funcName) is missing or changed: ' +
        'this build pins @dbos-inc/dbos-sdk 5.3.0; see src/saga/durable.ts',
    );
  }
}

/**
 * A step body only throws when it could not even record its outcome (the
 * database is unreachable). DBOS retries that, patiently, rather than letting
 * the workflow die in ERROR, which DBOS never recovers.
 */
const INFRA_RETRY = { retriesAllowed: true, maxAttempts: 10, intervalSeconds: 1, backoffRate: 1.5 };

export const dbosDurable: Durable = {
  step: (name, work) => DBOS.runStep(work, { name, ...INFRA_RETRY }),
  async transaction(name, work) {
    // Set by the attempt that committed: DBOS re-runs `work` in a fresh transaction after a connection error.
    let afterCommit: (() => void) | undefined;
    const value = await runTransactionalInternalStep!(async (client) => {
      // Undefined only when called outside a workflow or inside a step: never from the engine.
      if (!client) throw new Error(`transaction ${name} must be called from workflow code`);
      const result = await work(client);
      afterCommit = result.afterCommit;
      return result.value;
    }, name);
    afterCommit?.();
    return value;
  },
  sleep: (ms) => DBOS.sleep(ms),
  recv: (topic, deadlineEpochMS) => DBOS.recv(topic, { deadlineEpochMS }),
  send: (destination, message, topic) => DBOS.send(destination, message, topic),
  startChild: async (start) => void (await start()),
};

/**
 * `inner`, until halt(): from then on every operation waits forever.
 *
 * DBOS.shutdown gives the workflows running in this process a grace period,
 * then shuts down while those that did not finish still run here: their code
 * goes on, and its next step would find DBOS gone (errors) and take a
 * connection that the database then cuts when the process stops it. Halted,
 * a saga stops at its last checkpoint instead, quietly, and the process that
 * takes it over resumes it from there. What already runs (a provider call, a
 * transaction) is not interrupted; the app waits for it before it closes the
 * database.
 */
export function haltable(inner: Durable): { durable: Durable; halt(): void } {
  let halted = false;
  const never = new Promise<never>(() => {});
  return {
    halt: () => void (halted = true),
    durable: {
      step: (name, work) => (halted ? never : inner.step(name, work)),
      transaction: (name, work) => (halted ? never : inner.transaction(name, work)),
      sleep: (ms) => (halted ? never : inner.sleep(ms)),
      recv: (topic, deadlineEpochMS) => (halted ? never : inner.recv(topic, deadlineEpochMS)),
      send: (destination, message, topic) => (halted ? never : inner.send(destination, message, topic)),
      startChild: (start) => (halted ? never : inner.startChild(start)),
    },
  };
}

/** Errors from DBOS itself (fencing, cancellation, non-determinism) stop the workflow; they are never a step's failure. */
export const isDbosError = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && typeof (err as { dbosErrorCode?: unknown }).dbosErrorCode === 'number';
