import { setTimeout as sleep } from 'node:timers/promises';
import {
  loadAggregate,
  type CommandHandler,
  type CommandTarget,
  type Decision,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '../eventstore';
import type { Logger } from '../log';
import type { CompensationDefinition, StepCallContext, StepContext, StepDefinition } from './definition';
import {
  CompensationFailed,
  CompensationRegistered,
  CompensationSucceeded,
  SagaCompleted,
  StepFailed,
  StepSucceeded,
  sagaStreamId,
  type ErrorInfo,
} from './events';
import { classify } from './failures';

/**
 * The bodies of the DBOS steps a saga runs. Each returns its outcome as a value
 * (never throws a business failure): DBOS checkpoints values faithfully, and a
 * re-run finds the outcome recorded under the step's command id.
 */
export type StepOutcome =
  | { kind: 'ok'; output?: unknown; nothingToUndo?: boolean }
  | { kind: 'failed'; error: ErrorInfo; attempts: number }
  | { kind: 'interrupted'; cause: 'cancelled' | 'deadline'; reason: string };

export interface RetryPolicy {
  /** Attempts inside one step for transient failures. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface ExecutorDeps {
  store: EventStore;
  handler: CommandHandler;
  log: Logger;
  stepDelayMs: number;
  retry: RetryPolicy;
  /**
   * SAGA_CRASH_POINT, for crash tests and the crash demo only: e.g.
   * "after-commit:capturePayment" SIGKILLs this process right after that step
   * committed its events, before DBOS checkpointed it.
   */
  crashPoint?: string;
}

export interface StepCall {
  sagaId: string;
  commandId: string;
  ctx: StepCallContext;
  /** Saga events to put first in the same transaction (SagaStarted for the first step). */
  prefix: NewEvent[];
}

export const backoff = (policy: RetryPolicy, attempt: number) =>
  Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));

export class StepExecutor {
  constructor(private readonly deps: ExecutorDeps) {}

  async forward(call: StepCall, def: StepDefinition, check: { pivoted: boolean; deadline: string }): Promise<StepOutcome> {
    const { sagaId, commandId } = call;
    const ctx = this.context(call);
    await this.demoDelay();
    const journal = await this.lookup(sagaId, commandId);
    if (journal.recorded) return outcomeOf(journal.recorded);
    // Checked right before the effect, up to and including the pivot step.
    // Past the pivot nothing may stop the saga: it can only go forward.
    if (!check.pivoted) {
      if (journal.cancelRequested) return { kind: 'interrupted', cause: 'cancelled', reason: journal.cancelRequested };
      // The stream's SagaStarted has the deadline once written: a fork's own, not the copied input's.
      const deadline = journal.deadline ?? check.deadline;
      if (Date.now() > Date.parse(deadline)) {
        return { kind: 'interrupted', cause: 'deadline', reason: `saga deadline ${deadline} passed` };
      }
    }
    const registered = def.compensation ? [CompensationRegistered({ step: ctx.step, compensation: def.compensation.name })] : [];
    return this.attempt(call, ctx.step, async (timing) => {
      const work = await def.run(ctx);
      const events: NewEvent[] = [
        ...call.prefix,
        ...registered,
        StepSucceeded({ step: ctx.step, pivot: def.pivot ?? false, output: work.output, ...timing() }),
        ...(def.completes ? [SagaCompleted({ output: work.output })] : []),
      ];
      return { commands: work.commands ?? [], events: () => events, outcome: () => ({ kind: 'ok', output: work.output }) };
    }, (error, timing) => [...call.prefix, ...registered, StepFailed({ step: ctx.step, error, ...timing })]);
  }

  async compensate(call: StepCall, def: CompensationDefinition, round: number): Promise<StepOutcome> {
    await this.demoDelay();
    const journal = await this.lookup(call.sagaId, call.commandId);
    if (journal.recorded) return outcomeOf(journal.recorded);
    const ctx = this.context(call);
    const { step } = ctx;
    return this.attempt(call, def.name, async (timing) => {
      const work = await def.run(ctx);
      // An undo whose commands decided nothing (a release with nothing reserved) undid nothing.
      const nothingToUndo = (decisions: Decision[]) => work.nothingToUndo ?? decisions.every((d) => d.events.length === 0);
      return {
        commands: work.commands ?? [],
        events: (decisions) => [CompensationSucceeded({ step, compensation: def.name, nothingToUndo: nothingToUndo(decisions), ...timing() })],
        outcome: (decisions) => ({ kind: 'ok', nothingToUndo: nothingToUndo(decisions) }),
      };
    }, (error, timing) => [CompensationFailed({ step, compensation: def.name, error, round, ...timing })]);
  }

  /** Record saga events under a command id (engine transitions such as SagaCompensating). */
  async record(sagaId: string, commandId: string, events: NewEvent[]): Promise<void> {
    const appended = await this.deps.store.append(sagaStreamId(sagaId), events, { commandId, metadata: this.metadata(sagaId, commandId) });
    if (!appended.duplicate) this.deps.log.info({ sagaId, commandId, events: events.map((e) => e.type) }, 'saga transition');
  }

  private async attempt(
    call: StepCall,
    name: string,
    body: (timing: () => Timing) => Promise<{
      commands: CommandTarget[];
      /** The saga's events, from the decisions the commands made (committed with them). */
      events: (decisions: Decision[]) => NewEvent[];
      outcome: (decisions: Decision[]) => StepOutcome;
    }>,
    failureEvents: (error: ErrorInfo, timing: Timing) => NewEvent[],
  ): Promise<StepOutcome> {
    const { sagaId, commandId } = call;
    const { retry, handler, log } = this.deps;
    const started = new Date();
    let attempts = 0;
    const timing = (): Timing => ({ attempts, startedAt: started.toISOString(), durationMs: Date.now() - started.getTime() });
    for (;;) {
      attempts++;
      try {
        this.crashIf('before-effect', name);
        const { commands, events, outcome } = await body(timing);
        let decided: Decision[] = [];
        const result = await handler.handle(commands, {
          commandId,
          metadata: this.metadata(sagaId, commandId),
          also: (decisions) => {
            decided = decisions;
            return [{ streamId: sagaStreamId(sagaId), events: events(decisions) }];
          },
          knownNew: true,
        });
        this.crashIf('after-commit', name);
        if (result.duplicate) return outcomeOf(await this.deps.store.readAppended(result.append));
        log.info({ sagaId, step: name, commandId, attempts, durationMs: timing().durationMs }, 'step succeeded');
        return outcome(decided);
      } catch (err) {
        const error = classify(err);
        if (error.transient && attempts < retry.maxAttempts) {
          log.warn({ sagaId, step: name, commandId, attempt: attempts, err: error }, 'transient failure, retrying');
          await sleep(backoff(retry, attempts));
          continue;
        }
        log.info({ sagaId, step: name, commandId, attempts, err: error }, 'step failed');
        const appended = await this.deps.store.append(sagaStreamId(sagaId), failureEvents(error, timing()), {
          commandId,
          metadata: this.metadata(sagaId, commandId),
        });
        if (appended.duplicate) return outcomeOf(await this.deps.store.readAppended(appended));
        return { kind: 'failed', error, attempts };
      }
    }
  }

  private crashIf(phase: 'before-effect' | 'after-commit', name: string): void {
    if (this.deps.crashPoint === `${phase}:${name}`) {
      // Written synchronously (a pipe or file on Linux): the log line must not die with us.
      process.stderr.write(`SAGA_CRASH_POINT ${this.deps.crashPoint} reached: SIGKILL\n`);
      process.kill(process.pid, 'SIGKILL');
    }
  }

  /** SAGA_STEP_DELAY_MS: lets demos and crash tests land a kill inside a step, before its effect. */
  private async demoDelay(): Promise<void> {
    if (this.deps.stepDelayMs > 0) await sleep(this.deps.stepDelayMs);
  }

  private context(call: StepCall): StepContext {
    const { store, handler } = this.deps;
    return {
      ...call.ctx,
      load: async (decider, streamId) => (await loadAggregate(store, handler.snapshots, decider, streamId)).state,
    };
  }

  private metadata(sagaId: string, commandId: string) {
    return { correlationId: sagaId, causationId: commandId, workflowId: sagaId };
  }

  /** One round trip: has this command run, has an operator asked to cancel, and what is the saga's deadline? */
  private async lookup(
    sagaId: string,
    commandId: string,
  ): Promise<{ recorded?: RecordedEvent[]; cancelRequested?: string; deadline?: string }> {
    const { rows } = await this.deps.store.pool.query<{
      result: { streams: { positions: number[] }[] } | null;
      cancel: string | null;
      deadline: string | null;
    }>(
      `SELECT (SELECT result FROM commands WHERE command_id = $1) AS result,
              (SELECT coalesce(data->>'reason', 'cancelled by ' || (data->>'actor')) FROM events
                WHERE stream_id = $2 AND type = 'OperatorActionRequested' AND data->>'action' = 'cancel'
                ORDER BY stream_position LIMIT 1) AS cancel,
              (SELECT data->>'deadline' FROM events WHERE stream_id = $2 AND type = 'SagaStarted' LIMIT 1) AS deadline`,
      [commandId, sagaStreamId(sagaId)],
    );
    const { result, cancel, deadline } = rows[0];
    const recorded = result ? await this.deps.store.readAppended(result) : undefined;
    return { recorded, cancelRequested: cancel ?? undefined, deadline: deadline ?? undefined };
  }
}

interface Timing {
  attempts: number;
  startedAt: string;
  durationMs: number;
}

/** The outcome a step recorded, read back from its saga events. */
function outcomeOf(events: RecordedEvent[]): StepOutcome {
  for (const e of events) {
    const data = e.data as Record<string, any>;
    if (e.type === 'StepSucceeded') return { kind: 'ok', output: data.output };
    if (e.type === 'CompensationSucceeded') return { kind: 'ok', nothingToUndo: data.nothingToUndo };
    if (e.type === 'StepFailed' || e.type === 'CompensationFailed') return { kind: 'failed', error: data.error, attempts: data.attempts };
  }
  // Engine transitions record no outcome of their own.
  return { kind: 'ok' };
}
