import { DBOS } from '@dbos-inc/dbos-sdk';
import type { NewEvent } from '../eventstore';
import {
  CONTROL_TOPIC,
  type CompensationDefinition,
  type ControlMessage,
  type SagaControl,
  type SagaDefinition,
  type SagaEnvelope,
  type SagaOutcome,
  type StepCallContext,
  type StepDefinition,
} from './definition';
import {
  CompensationResolved,
  CompensationStuck,
  ForwardRecoveryFailed,
  OperatorRetried,
  SagaApproved,
  SagaAwaitingApproval,
  SagaCompensated,
  SagaCompensating,
  SagaCompleted,
  SagaStarted,
} from './events';
import type { StepExecutor, StepOutcome } from './executor';

export interface RecoveryPolicy {
  /** Rounds of a failing step (each with the executor's attempts) before parking. */
  rounds: number;
  /** Durable sleep between rounds, doubled each round. */
  roundDelayMs: number;
}

type CompensationCause = 'step_failed' | 'rejected' | 'approval_timeout' | 'cancelled' | 'deadline';

/** Thrown through the saga body to stop going forward; caught by `execute`. */
class Abort {
  readonly code = 'SAGA_ABORTED';
  constructor(
    readonly cause: CompensationCause,
    readonly reason: string,
  ) {}
}

/**
 * One saga execution inside its DBOS workflow. This is workflow code: it must
 * be deterministic. Time, I/O and randomness live in DBOS steps (the executor)
 * or come from DBOS (`now`, `recv`, `sleep`), so a replay after a crash takes
 * the same path and finds every finished step's checkpoint.
 */
export class SagaRun implements SagaControl {
  private sequence = 0;
  private pivoted = false;
  private started = false;
  private completed = false;
  /** Compensations in registration order; run in reverse. */
  private readonly registered: { step: string; compensation: CompensationDefinition }[] = [];
  private readonly outputs: Record<string, unknown> = {};
  /**
   * The DBOS workflow id: it names the saga's stream and its command ids. It
   * is `envelope.sagaId` except in a fork (see fork.ts): DBOS copies the
   * original's input, so there the envelope still names the lineage's first
   * saga, which keys the provider calls (`context`).
   */
  private readonly workflowId: string;
  private readonly forked: boolean;

  constructor(
    private readonly executor: StepExecutor,
    private readonly recovery: RecoveryPolicy,
    private readonly definition: SagaDefinition,
    private readonly envelope: SagaEnvelope,
  ) {
    this.workflowId = DBOS.workflowID ?? envelope.sagaId;
    this.forked = this.workflowId !== envelope.sagaId;
    // The engine opened a fork's stream (SagaStarted, SagaForked) before forking.
    this.started = this.forked;
  }

  get sagaId(): string {
    return this.workflowId;
  }

  async execute(): Promise<SagaOutcome> {
    try {
      const output = await this.definition.run(this, this.envelope.input);
      if (!this.completed) await this.record([SagaCompleted({ output })]);
      return { status: 'COMPLETED', output };
    } catch (err) {
      if ((err as { code?: string }).code !== 'SAGA_ABORTED') throw err;
      const abort = err as Abort;
      await this.compensate(abort.cause, abort.reason);
      return { status: 'COMPENSATED', reason: abort.reason };
    }
  }

  async step<O>(name: string, definition: StepDefinition<O>): Promise<O> {
    // Intent first: registered before the effect, so a crash or failure inside
    // the step still gets undone (the undo tolerates "nothing to undo").
    if (definition.compensation) this.registered.push({ step: name, compensation: definition.compensation });
    for (let round = 1; ; round++) {
      const outcome = await this.runForward(name, definition as StepDefinition);
      if (outcome.kind === 'ok') {
        if (definition.pivot) this.pivoted = true;
        if (definition.completes) this.completed = true;
        this.outputs[name] = outcome.output;
        return outcome.output as O;
      }
      if (outcome.kind === 'interrupted') throw new Abort(outcome.cause, outcome.reason);
      const forwardOnly = this.pivoted || (definition.pivot && outcome.error.transient);
      if (!forwardOnly) throw new Abort('step_failed', `${name} failed: ${outcome.error.message}`);
      // Past the point of no return: retry forward, then park for an operator.
      if (round < this.recovery.rounds) {
        await DBOS.sleep(this.recovery.roundDelayMs * 2 ** (round - 1));
        continue;
      }
      await this.record([ForwardRecoveryFailed({ step: name, error: outcome.error, rounds: round })]);
      const msg = await this.waitForOperator(['retry']);
      await this.record([OperatorRetried({ step: name, actor: msg.actor, reason: msg.reason })]);
      round = 0;
    }
  }

  async awaitApproval(reason: string, timeoutSeconds: number): Promise<void> {
    const now = await DBOS.now();
    // A fork's envelope carries the original's deadline. The fork's own is in
    // its stream, which only a step may read (the executor checks it before
    // each forward step), so a fork's approval wait is bounded by its timeout.
    const deadline = this.forked ? Number.POSITIVE_INFINITY : Date.parse(this.envelope.deadline);
    const timeoutAt = Math.min(now + timeoutSeconds * 1000, deadline);
    await this.record([SagaAwaitingApproval({ reason, timeoutAt: new Date(timeoutAt).toISOString() })]);
    for (;;) {
      const msg = await DBOS.recv<ControlMessage>(CONTROL_TOPIC, { deadlineEpochMS: timeoutAt });
      if (msg === null) {
        if (timeoutAt === deadline) throw new Abort('deadline', `saga deadline ${this.envelope.deadline} passed awaiting approval`);
        throw new Abort('approval_timeout', `no approval within ${timeoutSeconds}s`);
      }
      if (msg.action === 'approve') {
        await this.record([SagaApproved({ actor: msg.actor, reason: msg.reason })]);
        return;
      }
      if (msg.action === 'reject') throw new Abort('rejected', `rejected by ${msg.actor}${msg.reason ? `: ${msg.reason}` : ''}`);
      if (msg.action === 'cancel') throw new Abort('cancelled', `cancelled by ${msg.actor}${msg.reason ? `: ${msg.reason}` : ''}`);
      // Anything else (a stale message) does not apply while awaiting approval.
    }
  }

  private async compensate(cause: CompensationCause, reason: string): Promise<void> {
    await this.record([SagaCompensating({ reason, cause })]);
    const resolved: string[] = [];
    for (const { step, compensation } of [...this.registered].reverse()) {
      for (let round = 1; ; round++) {
        const outcome = await this.runCompensation(step, compensation, reason, round);
        if (outcome.kind === 'ok') break;
        if (outcome.kind !== 'failed') throw new Error(`unexpected compensation outcome ${outcome.kind}`);
        if (round < this.recovery.rounds) {
          await DBOS.sleep(this.recovery.roundDelayMs * 2 ** (round - 1));
          continue;
        }
        // Never report "compensated" over a failed undo: park, visibly, for an operator.
        await this.record([CompensationStuck({ step, compensation: compensation.name, error: outcome.error, rounds: round })]);
        const msg = await this.waitForOperator(['retry', 'resolve']);
        if (msg.action === 'resolve') {
          await this.record([
            CompensationResolved({ step, compensation: compensation.name, actor: msg.actor, reason: msg.reason ?? '' }),
          ]);
          resolved.push(step);
          break;
        }
        await this.record([OperatorRetried({ step: compensation.name, actor: msg.actor, reason: msg.reason })]);
        round = 0;
      }
    }
    await this.record([SagaCompensated({ reason, resolvedManually: resolved })]);
  }

  private async waitForOperator(actions: ControlMessage['action'][]): Promise<ControlMessage> {
    for (;;) {
      const msg = await DBOS.recv<ControlMessage>(CONTROL_TOPIC, { timeoutSeconds: 3600 });
      if (msg && actions.includes(msg.action)) return msg;
    }
  }

  /**
   * `action` names the effect: the forward step, or its compensation. The
   * provider key comes from the envelope, so a fork re-running a step meets
   * the original's recorded effect instead of causing a second one.
   */
  private context(step: string, action: string, reason?: string): StepCallContext {
    const idempotencyKey = `${this.envelope.sagaId}:${action}`;
    return { sagaId: this.sagaId, step, idempotencyKey, reason, outputs: { ...this.outputs } };
  }

  /** Deterministic per workflow: the n-th DBOS step of this saga always gets the same id. */
  private nextCommandId(label: string): string {
    return `${this.sagaId}/${++this.sequence}-${label}`;
  }

  private startedEvents(): NewEvent[] {
    if (this.started) return [];
    this.started = true;
    const { sagaId, input, deadline } = this.envelope;
    return [
      SagaStarted({
        sagaType: this.definition.type,
        businessKey: this.definition.businessKey(input),
        input: input as Record<string, unknown>,
        deadline,
      }),
    ].map((e) => ({ ...e, metadata: { causationId: sagaId } }));
  }

  private runForward(step: string, definition: StepDefinition): Promise<StepOutcome> {
    const call = { sagaId: this.sagaId, commandId: this.nextCommandId(step), ctx: this.context(step, step), prefix: this.startedEvents() };
    const check = { pivoted: this.pivoted, deadline: this.envelope.deadline };
    return DBOS.runStep(() => this.executor.forward(call, definition, check), { name: step, ...INFRA_RETRY });
  }

  private runCompensation(step: string, compensation: CompensationDefinition, reason: string, round: number): Promise<StepOutcome> {
    const call = { sagaId: this.sagaId, commandId: this.nextCommandId(compensation.name), ctx: this.context(step, compensation.name, reason), prefix: [] };
    return DBOS.runStep(() => this.executor.compensate(call, compensation, round), { name: compensation.name, ...INFRA_RETRY });
  }

  private async record(events: NewEvent[]): Promise<void> {
    const label = events[0].type;
    const commandId = this.nextCommandId(label);
    const prefix = this.startedEvents();
    await DBOS.runStep(() => this.executor.record(this.sagaId, commandId, [...prefix, ...events]), { name: label, ...INFRA_RETRY });
  }
}

/**
 * A step body only throws when it could not even record its outcome (the
 * database is unreachable). DBOS retries that, patiently, rather than letting
 * the workflow die in ERROR, which DBOS never recovers.
 */
const INFRA_RETRY = { retriesAllowed: true, maxAttempts: 10, intervalSeconds: 1, backoffRate: 1.5 };
