import type { CompensationDefinition, StepDefinition } from './definition';
import { BranchStopped, ParallelStarted, type ErrorInfo } from './events';
import type { CallOutcome, Guard, Interrupted, StepExecutor, StepOutcome } from './executor';
import type { SagaSession } from './session';
import type { CallContext } from './definition';
import type { NewEvent } from '../eventstore';

/** What a saga run lends `runBranches`: the parts of a sequential step that branches share. */
export interface BranchHost {
  readonly sagaId: string;
  readonly session: SagaSession;
  readonly executor: StepExecutor;
  /** The cancel/deadline guard, or undefined past the pivot. */
  guard(): Guard | undefined;
  callContext(step: string): CallContext;
  /** Record a step's outcome after its call (or with none): decide its commands, append, checkpoint. */
  settleStep(name: string, def: StepDefinition, called: CallOutcome | undefined, group: string): Promise<StepOutcome>;
  registerCompensation(step: string, compensation: CompensationDefinition): void;
  owe(...events: NewEvent[]): void;
}

export type BranchesOutcome =
  | { kind: 'ok'; outputs: Record<string, unknown> }
  | { kind: 'failed'; step: string; error: ErrorInfo }
  | Interrupted;

/**
 * Parallel branches, in three phases:
 *
 *   1. calls   every branch's call at once, invoked in the branches' order
 *              (DBOS numbers operations as they start: the order makes a
 *              replay deterministic). A call that fails, or finds the saga
 *              cancelled, stops its siblings' retries (each makes its first
 *              attempt: after a crash, only the call can tell what the run
 *              before did), and a branch without a call from committing.
 *   2. intent  the compensations of every branch that did (or may have done)
 *              its work are registered, in the order the calls finished, so
 *              the latest to finish is undone first.
 *   3. commits each branch's outcome in its own transaction, in the branches'
 *              order (the calls' checkpoints fix every outcome, so the order
 *              is the same on a replay); stopped branches are recorded as such.
 *
 * Phase 3 records every effect that happened, even after a failure: what is
 * recorded is what compensation undoes.
 */
export async function runBranches(host: BranchHost, group: string, branches: Record<string, StepDefinition>): Promise<BranchesOutcome> {
  const names = Object.keys(branches);
  const pivot = names.find((n) => branches[n].pivot);
  if (pivot) throw new Error(`parallel group ${group}: a pivot cannot be a branch (${pivot})`);
  host.owe(ParallelStarted({ group, branches: names }));

  const guard = host.guard();
  let halted = false;
  const withCall = names.filter((n) => branches[n].call);
  const pending = await host.session.calls(
    withCall.map((name) => ({
      label: `${name}.call`,
      work: (callId) => host.executor.call({ sagaId: host.sagaId, step: name, callId }, () => branches[name].call!(host.callContext(name)), guard, () => halted),
    })),
  );
  const called = new Map<string, CallOutcome>();
  await Promise.all(
    pending.map((p, i) =>
      p.then((outcome) => {
        called.set(withCall[i], outcome);
        if (outcome.kind !== 'ok') halted = true;
      }),
    ),
  );

  // A branch without a call has done nothing yet: it commits only if no sibling failed.
  const didWork = (n: string) => (branches[n].call ? ['ok', 'failed'].includes(called.get(n)!.kind) : !halted);
  const finishedAt = (n: string) => {
    const o = called.get(n);
    return o && 'timing' in o ? Date.parse(o.timing.startedAt) + o.timing.durationMs : Infinity;
  };
  const worked = names.filter(didWork);
  for (const n of [...worked].sort((a, b) => finishedAt(a) - finishedAt(b))) {
    const compensation = branches[n].compensation;
    if (compensation) host.registerCompensation(n, compensation);
  }
  const first = withCall.find((n) => called.get(n)!.kind !== 'ok');
  const why = (o: CallOutcome | undefined) => (o?.kind === 'interrupted' ? o.reason : `${first} did not succeed`);
  const stopped = names.filter((n) => !didWork(n));
  host.owe(...stopped.map((step) => BranchStopped({ group, step, reason: why(first ? called.get(first) : undefined) })));

  const outputs: Record<string, unknown> = {};
  let failure: { step: string; error: ErrorInfo } | undefined;
  let interrupted = [...called.values()].find((o): o is Interrupted => o.kind === 'interrupted');
  for (const name of worked) {
    const outcome = await host.settleStep(name, branches[name], called.get(name), group);
    if (outcome.kind === 'ok') outputs[name] = outcome.output;
    else if (outcome.kind === 'failed') failure ??= { step: name, error: outcome.error };
    else interrupted ??= outcome;
  }
  if (failure) return { kind: 'failed', ...failure };
  if (interrupted) return interrupted;
  return { kind: 'ok', outputs };
}
