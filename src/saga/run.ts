import { setTimeout as sleep } from 'node:timers/promises';
import { DBOS } from '@dbos-inc/dbos-sdk';
import type { PoolClient } from '../db/pool';
import type { NewEvent } from '../eventstore';
import {
  type BranchResults,
  type CallContext,
  type ChildSaga,
  type CompensationDefinition,
  type SagaControl,
  type SagaDefinition,
  type SagaEnvelope,
  type SagaOutcome,
  type StepDefinition,
  type StepInfo,
} from './definition';
import { Abort, type CompensationCause } from './abort';
import { childOutcome, childSagaId, compensateChild, releaseChild, reportToParent, type ChildReport, type ChildStarter } from './children';
import { isDbosError, type Durable } from './durable';
import {
  ChildSagaStarted,
  CompensationFailed,
  CompensationRegistered,
  CompensationResolved,
  CompensationStuck,
  CompensationSucceeded,
  ForwardRecoveryFailed,
  OperatorRetried,
  SagaCompensated,
  SagaCompensating,
  SagaCompleted,
  SagaStarted,
  StepFailed,
  StepSucceeded,
} from './events';
import { backoff, type CallOutcome, type CommitPlan, type Failed, type Guard, type StepExecutor, type StepOutcome, type Timing } from './executor';
import { classify } from './failures';
import { Mailbox } from './mailbox';
import { Waits } from './waits';
import { runBranches, type BranchHost } from './parallel';
import { SagaSession } from './session';

export interface RecoveryPolicy {
  /** Rounds of a failing compensation (or post-pivot step) before parking. */
  rounds: number;
  /** Durable sleep between rounds, doubled each round. */
  roundDelayMs: number;
}

type Plan = Omit<CommitPlan, 'sagaId' | 'commandId' | 'beforeCommit'>;

/** A registered undo: a compensation definition, or a child saga to compensate. */
type Undo = { step: string; compensation: CompensationDefinition; child?: string };

/**
 * One saga execution inside its DBOS workflow. This is workflow code: it must
 * be deterministic. Time, I/O and randomness live in the executor's phases,
 * run as DBOS steps, or come from DBOS (`recv`, `sleep`), so a replay after a
 * crash takes the same path and finds every finished phase's checkpoint.
 *
 * A forward step, in phases (executor.ts does the work of each):
 *   1. enter  a pivot with a call: record PivotEntered (guarded), committed
 *             before the call, so cancel and deadline are refused from then on
 *   2. call   the outside call, guarded before the pivot, retried, checkpointed
 *   3. commit one transaction: guard (no call yet made), decide, append the
 *             domain and saga events, DBOS's checkpoint
 * A compensation is a call and a commit; an engine transition is a commit.
 */
export class SagaRun implements SagaControl {
  private pivoted = false;
  /** Saga events not yet written: the next transaction writes them first (SagaStarted, SagaCompensating). */
  private owed: NewEvent[] = [];
  /** Compensations in registration order; run in reverse. */
  private readonly compensations: Undo[] = [];
  private readonly outputs: Record<string, unknown> = {};
  /** Child sagas by step, with how each ended. */
  private readonly children = new Map<string, { childId: string; status: ChildReport['status'] }>();
  /** Every durable operation goes through it (see session.ts). */
  readonly session: SagaSession;
  private readonly waits: Waits;
  /**
   * The DBOS workflow id: it names the saga's stream. It is `envelope.sagaId`
   * except in a fork (see fork.ts): DBOS copies the original's input, so there
   * the envelope still names the lineage's first saga, which keys the
   * provider calls (`info`), and the engine opened the fork's stream already.
   */
  readonly sagaId: string;

  constructor(
    readonly executor: StepExecutor,
    durable: Durable,
    private readonly recovery: RecoveryPolicy,
    private readonly definition: SagaDefinition,
    private readonly envelope: SagaEnvelope,
    private readonly starter: ChildStarter,
  ) {
    this.sagaId = DBOS.workflowID ?? envelope.sagaId;
    this.session = new SagaSession(this.sagaId, durable);
    this.waits = new Waits({
      sagaId: this.sagaId,
      session: this.session,
      executor,
      mailbox: new Mailbox(this.session),
      guard: (always) => (this.pivoted && !always ? undefined : this.guard()),
      takeOwed: () => this.takeOwed(),
      owe: (...events) => this.owed.push(...events),
      record: (label, events) => this.record(label, events),
    });
    if (this.sagaId === envelope.sagaId) {
      const { input, deadline, parent } = envelope;
      const started = SagaStarted({
        sagaType: definition.type,
        businessKey: definition.businessKey(input),
        input: input as Record<string, unknown>,
        deadline,
        ...(parent ? { parent } : {}),
      });
      this.owed.push({ ...started, metadata: { causationId: envelope.sagaId } });
    }
  }

  async execute(): Promise<SagaOutcome> {
    let outcome: SagaOutcome;
    try {
      const output = await this.definition.run(this, this.envelope.input);
      this.session.finished = { output };
      const last = await this.session.settle();
      if (last?.kind !== 'ok' || !last.completed) await this.record('SagaCompleted', [SagaCompleted({ output })]);
      outcome = { status: 'COMPLETED', output };
    } catch (err) {
      if (!(err instanceof Abort)) throw err;
      await this.compensate(err.cause, err.reason);
      outcome = { status: 'COMPENSATED', reason: err.reason };
    }
    // Completed children waited for this saga's verdict: it completed, so they are done.
    for (const [, child] of this.children) {
      if (outcome.status === 'COMPLETED' && child.status === 'COMPLETED') await releaseChild(this.session, child.childId);
    }
    const { parent } = this.envelope;
    return parent ? reportToParent(this.session, parent, outcome, (reason) => this.compensate('parent_compensating', reason)) : outcome;
  }

  async step<R>(name: string, definition: StepDefinition<R>): Promise<R> {
    await this.session.settle();
    // Intent first: registered before the effect, so a crash or failure inside
    // the step still gets undone (the undo tolerates "nothing to undo").
    if (definition.compensation) this.compensations.push({ step: name, compensation: definition.compensation });
    for (let round = 1; ; round++) {
      const outcome = await this.forward(name, definition as StepDefinition);
      if (outcome.kind === 'ok') {
        this.outputs[name] = outcome.output;
        return outcome.output as R;
      }
      if (outcome.kind === 'interrupted') throw new Abort(outcome.cause, outcome.reason);
      // Before the pivot a failure compensates. So does the pivot's own business
      // failure: the provider answered that it did nothing, and recorded that
      // answer under the step's key, so no retry of this step can take effect.
      // A transient failure of the pivot, or any failure after it, may hide an
      // effect: those only go forward.
      const compensates = !this.pivoted || (definition.pivot && !outcome.error.transient);
      if (compensates) throw new Abort('step_failed', `${name} failed: ${outcome.error.message}`);
      // Past the point of no return: retry forward, then park for an operator.
      if (round < this.recovery.rounds) {
        await this.session.sleep(this.recovery.roundDelayMs * 2 ** (round - 1));
        continue;
      }
      await this.record('ForwardRecoveryFailed', [ForwardRecoveryFailed({ step: name, error: outcome.error, rounds: round })]);
      const msg = await this.waits.operator(['retry']);
      await this.record('OperatorRetried', [OperatorRetried({ step: name, actor: msg.actor, reason: msg.reason })]);
      round = 0;
    }
  }

  awaitApproval(reason: string, timeoutSeconds: number): Promise<void> {
    return this.waits.approval(reason, timeoutSeconds);
  }

  async parallel<B extends Record<string, StepDefinition<any>>>(group: string, branches: B): Promise<BranchResults<B>> {
    const outcome = await runBranches(this.branchHost(), group, branches);
    if (outcome.kind === 'interrupted') throw new Abort(outcome.cause, outcome.reason);
    if (outcome.kind === 'failed') throw new Abort('step_failed', `${outcome.step} failed: ${outcome.error.message}`);
    Object.assign(this.outputs, outcome.outputs);
    return outcome.outputs as BranchResults<B>;
  }

  async child<O = unknown>(name: string, saga: ChildSaga): Promise<O> {
    await this.session.settle();
    const childId = childSagaId(this.sagaId, name);
    const compensation = { name: `compensate ${saga.type}` };
    const invalid = this.starter.invalid(saga.type, saga.input);
    if (invalid) {
      const failure = { kind: 'failed' as const, error: { code: 'INVALID_CHILD_INPUT', message: invalid, transient: false }, attempts: 1, timing: this.now() };
      await this.settleStep(name, {}, failure);
      throw new Abort('step_failed', `${name} failed: ${invalid}`);
    }
    // Intent first, guarded: nothing has happened yet, so a cancel still stops it here.
    const registered = [CompensationRegistered({ step: name, compensation: compensation.name }), ChildSagaStarted({ step: name, childId, type: saga.type })];
    const started = await this.record(`${name}.start`, registered, this.pivoted ? undefined : this.guard());
    if (started.kind === 'interrupted') throw new Abort(started.cause, started.reason);
    this.compensations.push({ step: name, compensation, child: childId });
    const startedAt = this.now();
    await this.session.startChild(() => this.starter.start(saga.type, childId, saga.input, { sagaId: this.sagaId, step: name }));
    const report = await childOutcome(this.session, name);
    this.children.set(name, { childId, status: report.status });
    const timing = { ...startedAt, durationMs: Date.now() - Date.parse(startedAt.startedAt) };
    const called: CallOutcome =
      report.status === 'COMPLETED'
        ? { kind: 'ok', result: report.output, timing }
        : { kind: 'failed', error: { code: 'CHILD_SAGA_COMPENSATED', message: `child saga ${childId} compensated: ${report.reason}`, transient: false }, attempts: 1, timing };
    const outcome = await this.settleStep(name, {}, called, undefined, childId);
    if (outcome.kind === 'failed') throw new Abort('step_failed', `${name} failed: ${outcome.error.message}`);
    if (outcome.kind === 'interrupted') throw new Abort(outcome.cause, outcome.reason);
    this.outputs[name] = outcome.output;
    return outcome.output as O;
  }

  sleep(ms: number): Promise<void> {
    return this.waits.sleep(ms);
  }

  waitForSignal<P = unknown>(name: string, timeoutSeconds: number): Promise<P | undefined> {
    return this.waits.signal<P>(name, timeoutSeconds);
  }

  /** One forward attempt of a step: enter (a pivot), call, commit. */
  private async forward(name: string, def: StepDefinition): Promise<StepOutcome> {
    if (def.pivot && def.call && !this.pivoted) {
      const owed = this.takeOwed();
      const entered = await this.session.transaction(`${name}.enter`, (client, commandId) =>
        this.executor.enterPivot(client, { sagaId: this.sagaId, commandId, step: name, guard: this.guard(), owed }),
      );
      if (entered.kind !== 'ok') return entered;
      this.pivoted = true;
    }
    let called: CallOutcome | undefined;
    if (def.call) {
      const call = def.call;
      const guard = this.pivoted ? undefined : this.guard();
      called = await this.session.call(`${name}.call`, (callId) =>
        this.executor.call({ sagaId: this.sagaId, step: name, callId }, () => call(this.callContext(this.info(name, name))), guard),
      );
      if (called.kind === 'interrupted') return called;
    }
    const outcome = await this.settleStep(name, def, called, undefined, undefined, 'hold');
    if (outcome.kind === 'ok' && def.pivot) this.pivoted = true;
    return outcome;
  }

  /**
   * A step's transaction after its call (if any): records the call's failure,
   * or decides the step's commands and records its success. Once a call was
   * made, its effect is recorded whatever an operator asked meanwhile: only a
   * step without one is guarded here.
   */
  private settleStep(name: string, def: StepDefinition, called: CallOutcome | undefined, group?: string, child?: string, hold?: 'hold'): Promise<StepOutcome> {
    const registered = def.compensation ? [CompensationRegistered({ step: name, compensation: def.compensation.name, group })] : [];
    const failed: Plan['failed'] = (error, timing) => [...registered, StepFailed({ step: name, error, group, child, ...timing })];
    if (called?.kind === 'failed') return this.commit(name, this.failure(name, called, failed));
    const { result, timing } = called?.kind === 'ok' ? called : { result: undefined, timing: undefined };
    const info = this.info(name, name);
    return this.commit(
      name,
      {
        step: name,
        targets: () => def.commands?.({ ...info, result }) ?? [],
        guard: called || this.pivoted ? undefined : this.guard(),
        owed: this.takeOwed(),
        timing,
        succeeded: (_, t) => [...registered, StepSucceeded({ step: name, pivot: def.pivot ?? false, output: result, group, child, ...t })],
        failed,
      },
      hold,
    ).then((outcome) => (outcome.kind === 'ok' ? { ...outcome, output: result } : outcome));
  }

  private branchHost(): BranchHost {
    return {
      sagaId: this.sagaId,
      session: this.session,
      executor: this.executor,
      guard: () => (this.pivoted ? undefined : this.guard()),
      callContext: (step) => this.callContext(this.info(step, step)),
      settleStep: (name, def, called, group) => this.settleStep(name, def, called, group),
      registerCompensation: (step, compensation) => this.compensations.push({ step, compensation }),
      owe: (...events) => this.owed.push(...events),
    };
  }

  private async compensate(cause: CompensationCause, reason: string): Promise<void> {
    this.owed.push(SagaCompensating({ reason, cause }));
    const resolved: string[] = [];
    const compensated = () => [SagaCompensated({ reason, resolvedManually: [...resolved] })];
    const undos = [...this.compensations].reverse();
    for (const [i, { step, compensation, child }] of undos.entries()) {
      // The last undo records the saga's end in its own transaction.
      const then = i === undos.length - 1 ? compensated : () => [];
      if (child) {
        await this.undoChild(step, compensation.name, reason, then);
        continue;
      }
      for (let round = 1; ; round++) {
        const outcome = await this.undo(step, compensation, reason, round, then);
        if (outcome.kind === 'ok') break;
        if (outcome.kind !== 'failed') throw new Error(`unexpected compensation outcome ${outcome.kind}`);
        if (round < this.recovery.rounds) {
          await this.session.sleep(this.recovery.roundDelayMs * 2 ** (round - 1));
          continue;
        }
        // Never report "compensated" over a failed undo: park, visibly, for an operator.
        await this.record('CompensationStuck', [CompensationStuck({ step, compensation: compensation.name, error: outcome.error, rounds: round })]);
        const msg = await this.waits.operator(['retry', 'resolve']);
        if (msg.action === 'resolve') {
          resolved.push(step);
          const resolution = CompensationResolved({ step, compensation: compensation.name, actor: msg.actor, reason: msg.reason ?? '' });
          await this.record('CompensationResolved', [resolution, ...then()]);
          break;
        }
        await this.record('OperatorRetried', [OperatorRetried({ step: compensation.name, actor: msg.actor, reason: msg.reason })]);
        round = 0;
      }
    }
    if (undos.length === 0) await this.record('SagaCompensated', compensated());
  }

  /**
   * A completed child is compensated by its own workflow (it holds its
   * compensations); this saga waits until it reports that it is done. A
   * child that compensated itself, or never completed, left nothing to undo.
   */
  private async undoChild(step: string, name: string, reason: string, then: () => NewEvent[]): Promise<void> {
    const child = this.children.get(step);
    const startedAt = this.now();
    const completed = child?.status === 'COMPLETED';
    if (child && completed) {
      await compensateChild(this.session, child.childId, step, reason);
      child.status = 'COMPENSATED';
    }
    const timing = { ...startedAt, durationMs: Date.now() - Date.parse(startedAt.startedAt) };
    const undone = CompensationSucceeded({ step, compensation: name, nothingToUndo: !completed, ...timing });
    await this.record(name, [undone, ...then()]);
  }

  private async undo(
    step: string,
    compensation: CompensationDefinition,
    reason: string,
    round: number,
    then: () => NewEvent[],
  ): Promise<StepOutcome> {
    const info = this.info(step, compensation.name, reason);
    const failed: Plan['failed'] = (error, timing) => [CompensationFailed({ step, compensation: compensation.name, error, round, ...timing })];
    let result: unknown;
    let timing: Plan['timing'];
    if (compensation.call) {
      const call = compensation.call;
      const called = await this.session.call(`${compensation.name}.call`, (callId) =>
        this.executor.call({ sagaId: this.sagaId, step: compensation.name, callId }, () => call(this.callContext(info))),
      );
      if (called.kind === 'failed') return this.commit(compensation.name, { ...this.failure(compensation.name, called, failed), compensation: true });
      if (called.kind === 'ok') ({ result, timing } = called);
    }
    return this.commit(compensation.name, {
      step: compensation.name,
      targets: () => compensation.commands?.({ ...info, result }) ?? [],
      owed: this.takeOwed(),
      timing,
      compensation: true,
      // An undo whose call did nothing and whose commands decided nothing undid nothing.
      succeeded: (decisions, t) => [
        CompensationSucceeded({
          step,
          compensation: compensation.name,
          nothingToUndo: result === undefined && decisions.every((d) => d.events.length === 0),
          ...t,
        }),
        ...then(),
      ],
      failed,
    });
  }

  /**
   * A step's transaction, retried in a fresh one when it fails for a reason
   * other than a broken rule (a serialization failure, a bug): such an error
   * is never the step's recorded outcome. After the attempts, the step fails
   * with it (recorded, and transient: the saga retries or compensates).
   */
  private async commit(name: string, plan: Plan, hold?: 'hold'): Promise<StepOutcome> {
    const { retry, log } = this.executor.deps;
    for (let attempt = 1; ; attempt++) {
      try {
        return await (hold
          ? this.session.holdCommit(name, (client, commandId, beforeCommit) => this.commitWork(client, commandId, plan, beforeCommit))
          : this.session.transaction(name, (client, commandId) => this.commitWork(client, commandId, plan)));
      } catch (err) {
        if (isDbosError(err)) throw err;
        const error = classify(err);
        if (attempt < retry.maxAttempts) {
          log.warn({ sagaId: this.sagaId, step: name, attempt, err: error }, 'step transaction failed, retrying');
          // A plain timer: only the wait, not the path, differs on a replay.
          await sleep(backoff(retry, attempt));
          continue;
        }
        // Could not even record the failure: stop here (DBOS keeps the workflow in ERROR for an operator).
        if (plan.failure) throw err;
        const failure = { kind: 'failed' as const, error, attempts: attempt };
        return this.commit(name, { ...plan, failure, timing: plan.timing ?? { attempts: attempt, startedAt: new Date().toISOString(), durationMs: 0 } });
      }
    }
  }

  /** A plan that records a failed call (nothing to decide). */
  private failure(step: string, called: Failed & { timing: Timing }, failed: Plan['failed']): Plan {
    const { kind, error, attempts, timing } = called;
    return { step, targets: () => [], owed: this.takeOwed(), timing, failure: { kind, error, attempts }, failed, succeeded: () => [] };
  }

  private commitWork(client: PoolClient, commandId: string, plan: Plan, beforeCommit?: CommitPlan['beforeCommit']) {
    return this.executor.commit(client, { ...plan, sagaId: this.sagaId, commandId, beforeCommit });
  }

  /** An engine transition in its own transaction; with a guard, only if no cancel or deadline stops it. */
  private record(label: string, events: NewEvent[], guard?: Guard) {
    const owed = this.takeOwed();
    return this.session.transaction(label, (client, commandId) => this.executor.record(client, { sagaId: this.sagaId, commandId, guard, owed, events }));
  }

  private now(): Timing {
    return { attempts: 1, startedAt: new Date().toISOString(), durationMs: 0 };
  }

  /**
   * `action` names the effect: the forward step, or its compensation. The
   * provider key comes from the envelope, so a fork re-running a step meets
   * the original's recorded effect instead of causing a second one.
   */
  private info(step: string, action: string, reason?: string): StepInfo {
    const idempotencyKey = `${this.envelope.sagaId}:${action}`;
    return { sagaId: this.sagaId, step, idempotencyKey, reason, outputs: { ...this.outputs } };
  }

  private callContext(info: StepInfo): CallContext {
    return { ...info, load: (decider, streamId) => this.executor.load(decider, streamId) };
  }

  private guard(): Guard {
    return { sagaId: this.sagaId, deadline: this.envelope.deadline, forked: this.sagaId !== this.envelope.sagaId };
  }

  private takeOwed(): NewEvent[] {
    const owed = this.owed;
    this.owed = [];
    return owed;
  }
}
