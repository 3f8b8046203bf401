import { setTimeout as sleep } from 'node:timers/promises';
import type { PoolClient } from '../db/pool';
import {
  decideAll,
  loadAggregate,
  type Decider,
  decisionWrites,
  isDomainError,
  lockedRead,
  type CommandTarget,
  type Decision,
  type EventStore,
  type NewEvent,
  type SnapshotStore,
} from '../eventstore';
import type { Logger } from '../log';
import type { TransactionResult } from './durable';
import { PivotEntered, SagaCompleted, sagaStreamId, type ErrorInfo } from './events';
import { classify, isDatabaseUnavailable } from './failures';

/**
 * The work inside a saga's DBOS steps, one method per phase:
 *
 *   call       outside the database: (guard,) the provider call, with retries
 *   commit     one transaction: lock, (guard,) load, decide, append
 *   enterPivot one transaction: lock, guard, record that the pivot is entered
 *   record     one transaction: an engine transition (SagaCompensating, ...)
 *
 * Every method returns its outcome as a value and throws only when it could
 * not do its work at all: DBOS checkpoints values faithfully, and a thrown
 * error is retried by whoever runs the phase. The run loop (run.ts) decides
 * what to do with each outcome.
 */
export type Interrupted = { kind: 'interrupted'; cause: 'cancelled' | 'deadline'; reason: string };
export type Failed = { kind: 'failed'; error: ErrorInfo; attempts: number };

export type StepOutcome = { kind: 'ok'; output?: unknown; nothingToUndo?: boolean; completed?: boolean } | Failed | Interrupted;
export type CallOutcome = { kind: 'ok'; result: unknown; timing: Timing } | (Failed & { timing: Timing }) | Interrupted;

export interface Timing {
  attempts: number;
  startedAt: string;
  durationMs: number;
}

/** What the cancel/deadline guard checks: the saga's stream, and the deadline it started with. */
export interface Guard {
  sagaId: string;
  /** The envelope's deadline. A fork runs on a copy of its original's envelope: its own is in its stream's SagaStarted. */
  deadline: string;
  forked: boolean;
}

/** The guard reads the saga's operator requests (and a fork's own SagaStarted). */
const guardRead = (guard: Guard) => ({
  streamId: sagaStreamId(guard.sagaId),
  types: guard.forked ? ['OperatorActionRequested', 'SagaStarted'] : ['OperatorActionRequested'],
});

/** Has an operator asked to cancel, or has the deadline passed? */
function interruption(events: { type: string; data: unknown }[], guard: Guard): Interrupted | undefined {
  const requests = events as { type: string; data: Record<string, string | undefined> }[];
  const cancel = requests.find((e) => e.type === 'OperatorActionRequested' && e.data.action === 'cancel');
  if (cancel) return { kind: 'interrupted', cause: 'cancelled', reason: cancel.data.reason ?? `cancelled by ${cancel.data.actor}` };
  const deadline = requests.find((e) => e.type === 'SagaStarted')?.data.deadline ?? guard.deadline;
  if (Date.now() > Date.parse(deadline)) return { kind: 'interrupted', cause: 'deadline', reason: `saga deadline ${deadline} passed` };
  return undefined;
}

export interface CommitPlan {
  sagaId: string;
  /** The step or compensation name, for the logs. */
  step: string;
  /** `<saga>/<n>-<label>`: names the DBOS step in the events' metadata (forks inherit by it). */
  commandId: string;
  /** The commands to decide; built inside the transaction, so a DomainError thrown here is the step's failure. */
  targets: () => CommandTarget[];
  /** The step already failed (its call did): record that instead of deciding. */
  failure?: Failed;
  /** Log as a compensation rather than a forward step. */
  compensation?: boolean;
  /** Checked under the locks, before deciding: only where no effect has happened yet. */
  guard?: Guard;
  /** Saga events owed from before (SagaStarted, SagaCompensating), written first. */
  owed: NewEvent[];
  /** From the call phase, if there was one. */
  timing?: Timing;
  succeeded: (decisions: Decision[], timing: Timing) => NewEvent[];
  failed: (error: ErrorInfo, timing: Timing) => NewEvent[];
  /**
   * Called with the outcome before the transaction commits; resolves to the
   * saga's output when the saga body has returned meanwhile, and the
   * saga's completion is then recorded in this same transaction.
   */
  beforeCommit?: (outcome: StepOutcome) => Promise<{ output: unknown } | undefined>;
}

export interface RetryPolicy {
  /** Attempts of a call, or of a step's transaction, for transient failures. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface ExecutorDeps {
  store: EventStore;
  snapshots?: SnapshotStore;
  log: Logger;
  retry: RetryPolicy;
}

const STEP_OUTCOMES = new Set([
  'SagaStarted',
  'CompensationRegistered',
  'StepSucceeded',
  'StepFailed',
  'CompensationSucceeded',
  'CompensationFailed',
]);

export const backoff = (policy: RetryPolicy, attempt: number) =>
  Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));

export class StepExecutor {
  constructor(readonly deps: ExecutorDeps) {}

  /**
   * Runs inside a DBOS step. Retries transient failures; a business failure is
   * final at once. `stop` (parallel branches) is asked before every retry: a
   * branch stops retrying once a sibling failed, and is undone like a failed
   * step (an attempt that failed may still have had its effect). The first
   * attempt is always made: after a crash this step runs again with no record
   * of what the run before it did, and only the call itself (its idempotency
   * key) can tell the effect that run may have made.
   */
  async call(label: { sagaId: string; step: string; callId: string }, work: () => Promise<unknown>, guard?: Guard, stop?: () => boolean): Promise<CallOutcome> {
    const { retry, log } = this.deps;
    if (guard) {
      const interrupted = await this.guardCall(label.callId, guard);
      if (interrupted) return interrupted;
    }
    const started = Date.now();
    const timing = (attempts: number): Timing => ({ attempts, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started });
    let lastError: ErrorInfo | undefined;
    for (let attempts = 1; ; attempts++) {
      if (lastError && stop?.()) return { kind: 'failed', error: lastError, attempts: attempts - 1, timing: timing(attempts - 1) };
      try {
        return { kind: 'ok', result: await work(), timing: timing(attempts) };
      } catch (err) {
        if (isDatabaseUnavailable(err)) throw err;
        const error = classify(err);
        lastError = error;
        if (error.transient && attempts < retry.maxAttempts) {
          log.warn({ ...label, attempt: attempts, err: error }, 'transient failure, retrying');
          await sleep(backoff(retry, attempts));
          continue;
        }
        log.info({ ...label, attempts, err: error }, 'step failed');
        return { kind: 'failed', error, attempts, timing: timing(attempts) };
      }
    }
  }

  /** Runs inside the step's transaction. */
  async commit(client: PoolClient, plan: CommitPlan): Promise<TransactionResult<StepOutcome>> {
    const { store, snapshots } = this.deps;
    const saga = sagaStreamId(plan.sagaId);
    const started = Date.now();
    const timing = (): Timing => plan.timing ?? { attempts: 1, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started };

    let targets: CommandTarget[] = [];
    let outcome: StepOutcome = plan.failure ?? { kind: 'ok' };
    let decided: Decision[] = [];
    let sagaEvents = plan.failure ? [...plan.owed, ...plan.failed(plan.failure.error, timing())] : plan.owed;
    // A broken rule is the step's answer; anything else (a bug, the database) is
    // thrown, and retried by the run loop in a fresh transaction.
    const failedOn = (err: unknown) => {
      if (!isDomainError(err)) throw err;
      const error = classify(err);
      outcome = { kind: 'failed', error, attempts: timing().attempts };
      sagaEvents = [...plan.owed, ...plan.failed(error, timing())];
    };
    if (!plan.failure) {
      try {
        targets = plan.targets();
      } catch (err) {
        failedOn(err);
      }
    }
    // Lock first, read after, in one round trip: nobody appends to these
    // streams until we commit, so what we read is what we decide on.
    const guard = outcome.kind === 'ok' ? plan.guard : undefined;
    const read = await lockedRead(
      store,
      { lock: [saga, ...targets.map((t) => t.streamId)], typed: guard && guardRead(guard), refs: targets, snapshots: snapshots !== undefined },
      client,
    );
    const stop = guard && interruption(read.typed, guard);
    if (stop) outcome = stop;
    else if (outcome.kind === 'ok') {
      try {
        decided = decideAll(targets, read.loaded);
        sagaEvents = [...plan.owed, ...plan.succeeded(decided, timing())];
      } catch (err) {
        failedOn(err);
      }
    }
    const finished = await plan.beforeCommit?.(outcome);
    if (finished && outcome.kind === 'ok') {
      sagaEvents = [...sagaEvents, SagaCompleted({ output: finished.output })];
      outcome = { ...outcome, completed: true };
    }
    const writes = [...decisionWrites(decided), { streamId: saga, events: sagaEvents }];
    const append = await store.appendMany(writes, { metadata: this.metadata(plan), announceAfterCommit: true }, client);
    await snapshots?.saveDue(targets, decided, append, client);
    this.log(plan, outcome, sagaEvents, timing());
    return { value: outcome, afterCommit: () => store.committed(writes, append) };
  }

  /** Runs in its own transaction before the pivot's call: from its commit on, the saga only goes forward. */
  async enterPivot(client: PoolClient, plan: { sagaId: string; commandId: string; step: string; guard: Guard; owed: NewEvent[] }) {
    return this.record(client, { ...plan, events: [PivotEntered({ step: plan.step })] });
  }

  /** An engine transition (SagaCompensating, ForwardRecoveryFailed, ...), guarded if asked. */
  async record(
    client: PoolClient,
    plan: { sagaId: string; commandId: string; guard?: Guard; owed: NewEvent[]; events: NewEvent[] },
  ): Promise<TransactionResult<{ kind: 'ok' } | Interrupted>> {
    const { store } = this.deps;
    const saga = sagaStreamId(plan.sagaId);
    const read = await lockedRead(store, { lock: [saga], typed: plan.guard && guardRead(plan.guard), refs: [], snapshots: false }, client);
    const stop = plan.guard && interruption(read.typed, plan.guard);
    const events = stop ? plan.owed : [...plan.owed, ...plan.events];
    const writes = [{ streamId: saga, events }];
    const append = await store.appendMany(writes, { metadata: this.metadata(plan), announceAfterCommit: true }, client);
    this.logTransitions(plan, events);
    return { value: stop || { kind: 'ok' }, afterCommit: () => store.committed(writes, append) };
  }

  /**
   * The start of a durable wait (an approval, a signal, a timer): `event`
   * records until when, in a transaction that also checks the guard. Before
   * the pivot (a guard), the wait ends at the saga's deadline at the latest.
   * The time is fixed here, in a checkpointed transaction, so a replay waits
   * until the same moment.
   */
  async startWait(
    client: PoolClient,
    plan: { sagaId: string; commandId: string; guard?: Guard; owed: NewEvent[]; timeoutMs: number; event: (until: string) => NewEvent },
  ): Promise<TransactionResult<{ kind: 'ok'; timeoutAt: number; byDeadline: boolean } | Interrupted>> {
    const deadline = plan.guard ? Date.parse(await this.deadline(client, plan.guard)) : Infinity;
    const timeoutAt = Math.min(Date.now() + plan.timeoutMs, deadline);
    const recorded = await this.record(client, { ...plan, events: [plan.event(new Date(timeoutAt).toISOString())] });
    if (recorded.value.kind !== 'ok') return recorded as TransactionResult<Interrupted>;
    return { ...recorded, value: { kind: 'ok', timeoutAt, byDeadline: timeoutAt === deadline } };
  }

  /**
   * The guard before a call, which also marks the call started
   * (migrations/012), both at once. A mark already there means an earlier run
   * of this call got past its guard and may have called: it calls again
   * whatever the guard says now, so that the effect that run may have made is
   * recorded, and undone if the saga compensates. (A run that dies between
   * the mark and the checkpoint of a guard's "stop" calls on its replay too:
   * an effect made after the cancel, recorded and undone like the rest.)
   */
  private async guardCall(callId: string, guard: Guard): Promise<Interrupted | undefined> {
    const { pool } = this.deps.store;
    const [again, interrupted] = await Promise.all([
      pool.query(`INSERT INTO saga_calls_started (call_id) VALUES ($1) ON CONFLICT DO NOTHING`, [callId]).then((r) => r.rowCount === 0),
      this.interruption(pool, guard),
    ]);
    return again ? undefined : interrupted;
  }

  /** The guard outside a transaction (before a call): no lock, the same rule. */
  private async interruption(db: Pick<PoolClient, 'query'>, guard: Guard): Promise<Interrupted | undefined> {
    const { streamId, types } = guardRead(guard);
    return interruption(await this.deps.store.readStreamTypes(streamId, types, db), guard);
  }

  private async deadline(db: Pick<PoolClient, 'query'>, guard: Guard): Promise<string> {
    // SagaStarted carries the envelope's deadline, except in a fork (see Guard).
    if (!guard.forked) return guard.deadline;
    const [started] = await this.deps.store.readStreamTypes<{ deadline: string }>(sagaStreamId(guard.sagaId), ['SagaStarted'], db);
    return started?.data.deadline ?? guard.deadline;
  }

  /** Current state of an aggregate, read outside any transaction (for a call to look before it acts). */
  async load<S>(decider: Decider<S, any, any>, streamId: string): Promise<S> {
    return (await loadAggregate(this.deps.store, this.deps.snapshots, decider, streamId)).state;
  }

  private log(plan: CommitPlan, outcome: StepOutcome, events: NewEvent[], timing: Timing): void {
    const line = { sagaId: plan.sagaId, step: plan.step, commandId: plan.commandId, attempts: timing.attempts, durationMs: timing.durationMs };
    const what = plan.compensation ? 'compensation' : 'step';
    if (outcome.kind === 'ok') this.deps.log.info(line, `${what} succeeded`);
    else if (outcome.kind === 'failed' && !plan.failure) this.deps.log.info({ ...line, err: outcome.error }, `${what} failed`);
    this.logTransitions(plan, events);
  }

  /** Engine transitions (not a step's own outcome) get a line of their own. */
  private logTransitions(plan: { sagaId: string; commandId: string }, events: NewEvent[]): void {
    const transitions = events.map((e) => e.type).filter((type) => !STEP_OUTCOMES.has(type));
    if (transitions.length) this.deps.log.info({ sagaId: plan.sagaId, commandId: plan.commandId, events: transitions }, 'saga transition');
  }

  private metadata(plan: { sagaId: string; commandId: string }) {
    return { correlationId: plan.sagaId, causationId: plan.commandId, commandId: plan.commandId, workflowId: plan.sagaId };
  }
}
