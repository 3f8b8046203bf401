import { randomUUID } from 'node:crypto';
import { DBOS } from '@dbos-inc/dbos-sdk';
import { isWrongExpectedVersion, type EventStore, type NewEvent, type RecordedEvent } from '../eventstore';
import { SagaForked, SagaStarted, sagaStreamId } from './events';
import type { SagaView } from './state';

/**
 * Forking a saga: re-run a finished saga from one of its DBOS steps as a new
 * saga (DBOS.forkWorkflow), linked both ways by SagaForked.
 *
 * What DBOS does: the fork is a new workflow id whose steps before `fromStep`
 * are copies of the original's checkpoints (replayed, not executed) and whose
 * input is a copy of the original's, so `envelope.sagaId` in the fork still
 * names the original. Our semantics on top of that:
 *
 * - Own identity. SagaRun takes the fork's DBOS workflow id as its saga id: the
 *   fork writes to its own stream `saga-<fork>` and its steps have their own
 *   DBOS checkpoints, so a re-run step is really decided again. Deciders treat
 *   the same fact twice as a no-op (same authorization, same refund, stock
 *   already restocked), so re-deciding adds no duplicate domain events.
 * - Shared outside effects. Provider idempotency keys stay `<first saga of the
 *   lineage>:<action>` (from the copied envelope), in forks of forks too: a
 *   re-run refund or capture gets the gateway's recorded answer, so money
 *   never moves twice. The flip side is deliberate: a provider's recorded
 *   business refusal (a declined card) is recorded under that key too, so a
 *   fork gets the same answer; a fork helps after transient failures, bugs
 *   fixed since, operator mistakes — not to retry a refused payment.
 * - A complete story in the fork's stream. It opens with SagaStarted (same
 *   type, business key and input, a fresh deadline), SagaForked, and copies of
 *   the original's saga events for the steps it inherits (metadata
 *   `inheritedFrom`), so its view shows the inherited steps, the pivot passed
 *   and the compensations it holds. The engine writes this opening, and
 *   SagaForked into the original's stream, in one transaction before it forks
 *   (the fork then finds its stream started), under the command id
 *   `fork:<fork id>`: a retried request with the same fork id forks once.
 * - Only finished sagas (COMPLETED, COMPENSATED) are forked: two live
 *   workflows driving the same aggregates would race; a parked saga is
 *   retried or resolved instead. The fork runs on this build's version.
 * - A fork inherits the compensations of the steps before its fork point. So
 *   a saga that passed its pivot is forked at the pivot or later: the re-run
 *   pivot meets the provider's recorded success and the fork goes forward,
 *   and a fork (cancelled, say) can never undo what its original made final.
 */
export interface ForkRequest {
  /** A DBOS step id (function id) of the original, or the name of its first step with that name. */
  fromStep: number | string;
  actor: string;
  reason?: string;
  /** The fork's saga id (an Idempotency-Key); random when absent. */
  newSagaId?: string;
}

export interface ForkResult {
  sagaId: string;
  forkedFrom: string;
  fromStep: number;
  stepName: string;
}

export class InvalidForkStepError extends Error {
  readonly code = 'INVALID_FORK_STEP';
}

export class SagaIdInUseError extends Error {
  readonly code = 'SAGA_ID_IN_USE';
}

interface DbosStep {
  functionID: number;
  name: string;
}

export async function forkSaga(
  store: EventStore,
  original: SagaView,
  request: ForkRequest,
  deadlineSeconds: number,
  /** Where the fork runs: the orchestrators' version and queue (default: this process). */
  runOn: { applicationVersion?: string; queueName?: string } = {},
): Promise<ForkResult> {
  const from = original.sagaId;
  const steps: DbosStep[] = (await DBOS.listWorkflowSteps(from)) ?? [];
  const step = resolveStep(steps, request.fromStep);
  const pivot = original.steps.find((s) => s.pivot && s.status === 'succeeded')?.name;
  const pivotStep = pivot === undefined ? undefined : firstStepOf(steps, pivot);
  if (pivotStep && step.functionID < pivotStep.functionID) {
    throw new InvalidForkStepError(`saga ${from} passed its pivot ${pivot} (step ${pivotStep.functionID}): fork it from there or later`);
  }
  const to = request.newSagaId ?? randomUUID();
  const stepName = step.name.replace(/\.(enter|call)$/, '');
  const linked = SagaForked({ from, to, fromStep: step.functionID, stepName, actor: request.actor, reason: request.reason });

  // Our own DBOS steps, in order, are the saga's command sequence 1..n (DBOS's own calls are named "DBOS.*").
  const inheritedSteps = steps.filter((s) => s.functionID < step.functionID && !s.name.startsWith('DBOS.')).length;
  const inherited = (await store.readStream(sagaStreamId(from)))
    .filter((e) => e.type !== 'SagaStarted' && e.type !== 'SagaForked')
    .filter((e) => (sequenceOf(e) ?? Infinity) <= inheritedSteps)
    .map((e): NewEvent => ({
      type: e.type,
      data: e.data,
      metadata: { correlationId: to, causationId: e.eventId, inheritedFrom: from, inheritedCommandId: commandIdOf(e) },
    }));
  const opening: NewEvent[] = [
    {
      ...SagaStarted({
        sagaType: original.type,
        businessKey: original.businessKey,
        input: original.input,
        deadline: new Date(Date.now() + deadlineSeconds * 1000).toISOString(),
      }),
      metadata: { correlationId: to, causationId: from },
    },
    { ...linked, metadata: { correlationId: to } },
    ...inherited,
  ];
  try {
    await store.appendMany(
      [
        { streamId: sagaStreamId(to), events: opening, expected: 'no_stream' },
        { streamId: sagaStreamId(from), events: [{ ...linked, metadata: { correlationId: from } }] },
      ],
      { commandId: `fork:${to}`, metadata: { actor: request.actor } },
    );
  } catch (err) {
    if (isWrongExpectedVersion(err)) throw new SagaIdInUseError(`saga id ${to} is already in use`);
    throw err;
  }
  // A retried request finds the first one's record: fork as recorded, or refuse another saga's id.
  const recorded = (await store.readStream(sagaStreamId(to), { toVersion: 2 })).find((e) => e.type === 'SagaForked');
  const link = recorded?.data as { from: string; fromStep: number; stepName?: string } | undefined;
  if (!link || link.from !== from) throw new SagaIdInUseError(`saga id ${to} is already in use`);

  let workflow = await DBOS.getWorkflowStatus(to);
  if (!workflow) {
    try {
      // This build's version: the point of a fork is often to run fixed code.
      await DBOS.forkWorkflow(from, link.fromStep, {
        newWorkflowID: to,
        applicationVersion: runOn.applicationVersion ?? DBOS.applicationVersion,
        queueName: runOn.queueName,
      });
    } catch (err) {
      // Two identical requests at once: the other one forked.
      workflow = await DBOS.getWorkflowStatus(to);
      if (!workflow) throw err;
    }
  }
  if (workflow && workflow.forkedFrom !== from) throw new SagaIdInUseError(`workflow id ${to} is already in use`);
  return { sagaId: to, forkedFrom: from, fromStep: link.fromStep, stepName: link.stepName ?? stepName };
}

/** A saga step runs as up to three DBOS steps (`<name>.enter`, `<name>.call`, `<name>`): the first of them. */
const firstStepOf = (steps: DbosStep[], name: string) => steps.find((s) => s.name === name || s.name.startsWith(`${name}.`));

function resolveStep(steps: DbosStep[], fromStep: number | string): DbosStep {
  const step = typeof fromStep === 'number' ? steps.find((s) => s.functionID === fromStep) : firstStepOf(steps, fromStep);
  if (step) return step;
  const known = steps.map((s) => `${s.functionID}:${s.name}`).join(', ');
  throw new InvalidForkStepError(`the saga has no step ${JSON.stringify(fromStep)}; its steps are ${known || 'none'}`);
}

const commandIdOf = (e: RecordedEvent): string | undefined => {
  const m = e.metadata as { inheritedCommandId?: unknown; commandId?: unknown };
  const id = m.inheritedCommandId ?? m.commandId;
  return typeof id === 'string' ? id : undefined;
};

/** `<saga id>/<n>-<label>` → n; undefined for events no step wrote (operator requests). */
function sequenceOf(e: RecordedEvent): number | undefined {
  const id = commandIdOf(e);
  const match = id === undefined ? null : /^(\d+)-/.exec(id.slice(id.lastIndexOf('/') + 1));
  return match ? Number(match[1]) : undefined;
}
