import { z } from 'zod';
import { defineEvent, type EventOf } from '../eventstore';

/**
 * The saga's own story, in its stream `saga-<sagaId>`: every transition, the
 * forward path and the compensation trail, and every operator action with who
 * did it and why. Written in the same transaction as the domain events of the
 * step it describes.
 */

const ErrorInfo = z.object({ code: z.string(), message: z.string(), transient: z.boolean().default(false) });
export type ErrorInfo = z.infer<typeof ErrorInfo>;

const Timing = { attempts: z.number().int().min(1), startedAt: z.iso.datetime(), durationMs: z.number().min(0) };

export const SagaStarted = defineEvent(
  'SagaStarted',
  z.object({
    sagaType: z.string(),
    businessKey: z.string(),
    input: z.record(z.string(), z.unknown()),
    deadline: z.iso.datetime(),
    /** This saga runs as step `step` of saga `sagaId` (SagaControl.child). */
    parent: z.object({ sagaId: z.string(), step: z.string() }).optional(),
  }),
);
/** A step that is a parallel branch names its group (SagaControl.parallel). */
const Group = { group: z.string().optional() };
export const CompensationRegistered = defineEvent(
  'CompensationRegistered',
  z.object({ step: z.string(), compensation: z.string(), ...Group }),
);
export const StepSucceeded = defineEvent(
  'StepSucceeded',
  z.object({
    step: z.string(),
    pivot: z.boolean().default(false),
    output: z.unknown().optional(),
    ...Group,
    /** The step ran this child saga (SagaControl.child). */
    child: z.string().optional(),
    ...Timing,
  }),
);
/**
 * Recorded before a pivot's call, in a transaction of its own: from here on
 * the pivot's effect may have happened, so the saga only goes forward.
 */
export const PivotEntered = defineEvent('PivotEntered', z.object({ step: z.string() }));
export const StepFailed = defineEvent(
  'StepFailed',
  z.object({ step: z.string(), error: ErrorInfo, ...Group, child: z.string().optional(), ...Timing }),
);
/** Branches begin together; each branch's outcome follows as a step event with `group`. */
export const ParallelStarted = defineEvent('ParallelStarted', z.object({ group: z.string(), branches: z.array(z.string()) }));
/** A branch that never began its work because another branch failed first: nothing to undo. */
export const BranchStopped = defineEvent('BranchStopped', z.object({ group: z.string(), step: z.string(), reason: z.string() }));
/** Step `step` started saga `childId` of type `type` and waits for its outcome. */
export const ChildSagaStarted = defineEvent('ChildSagaStarted', z.object({ step: z.string(), childId: z.string(), type: z.string() }));
/** A durable wait: for a signal (until it comes or `until`), or a timer (until `until`). */
export const SagaWaiting = defineEvent('SagaWaiting', z.object({ signal: z.string().optional(), until: z.iso.datetime() }));
export const SagaWaitEnded = defineEvent('SagaWaitEnded', z.object({ signal: z.string().optional(), timedOut: z.boolean() }));
/** A signal sent to the saga (POST /sagas/:id/signals/:name), recorded with the message that carries it. */
export const SagaSignalled = defineEvent(
  'SagaSignalled',
  z.object({ signal: z.string(), payload: z.unknown().optional(), actor: z.string() }),
);
export const SagaAwaitingApproval = defineEvent(
  'SagaAwaitingApproval',
  z.object({ reason: z.string(), timeoutAt: z.iso.datetime() }),
);
export const SagaApproved = defineEvent('SagaApproved', z.object({ actor: z.string(), reason: z.string().optional() }));
export const SagaCompensating = defineEvent(
  'SagaCompensating',
  z.object({ reason: z.string(), cause: z.enum(['step_failed', 'rejected', 'approval_timeout', 'cancelled', 'deadline', 'parent_compensating']) }),
);
export const CompensationSucceeded = defineEvent(
  'CompensationSucceeded',
  z.object({ step: z.string(), compensation: z.string(), nothingToUndo: z.boolean().default(false), ...Timing }),
);
export const CompensationFailed = defineEvent(
  'CompensationFailed',
  z.object({ step: z.string(), compensation: z.string(), error: ErrorInfo, round: z.number().int().min(1), ...Timing }),
);
export const CompensationStuck = defineEvent(
  'CompensationStuck',
  z.object({ step: z.string(), compensation: z.string(), error: ErrorInfo, rounds: z.number().int() }),
);
export const CompensationResolved = defineEvent(
  'CompensationResolved',
  z.object({ step: z.string(), compensation: z.string(), actor: z.string(), reason: z.string() }),
);
export const ForwardRecoveryFailed = defineEvent(
  'ForwardRecoveryFailed',
  z.object({ step: z.string(), error: ErrorInfo, rounds: z.number().int() }),
);
export const OperatorRetried = defineEvent(
  'OperatorRetried',
  z.object({ step: z.string(), actor: z.string(), reason: z.string().optional() }),
);
/** Written by the HTTP layer when an operator asks; the saga reacts to it. */
export const OperatorActionRequested = defineEvent(
  'OperatorActionRequested',
  z.object({
    action: z.enum(['approve', 'reject', 'cancel', 'retry', 'resolve']),
    actor: z.string(),
    reason: z.string().optional(),
  }),
);
/**
 * Written by the fleet when DBOS gave up on the saga's workflow: it crashed
 * the processes that ran it more than MAX_RECOVERY_ATTEMPTS times. Parked
 * for an operator, whose `retry` resumes it.
 */
export const SagaQuarantined = defineEvent('SagaQuarantined', z.object({ recoveryAttempts: z.number().int(), reason: z.string() }));
export const SagaCompleted = defineEvent('SagaCompleted', z.object({ output: z.unknown().optional() }));
export const SagaCompensated = defineEvent(
  'SagaCompensated',
  z.object({ reason: z.string(), resolvedManually: z.array(z.string()).default([]) }),
);
/**
 * In both sagas' streams: `to` re-runs `from` from DBOS step `fromStep` on
 * (named `stepName`), as asked by `actor` for `reason` (see fork.ts).
 */
export const SagaForked = defineEvent(
  'SagaForked',
  z.object({
    from: z.string(),
    to: z.string(),
    fromStep: z.number().int(),
    actor: z.string(),
    stepName: z.string().optional(),
    reason: z.string().optional(),
  }),
);

export const sagaEvents = [
  SagaStarted,
  CompensationRegistered,
  StepSucceeded,
  PivotEntered,
  StepFailed,
  ParallelStarted,
  BranchStopped,
  ChildSagaStarted,
  SagaWaiting,
  SagaWaitEnded,
  SagaSignalled,
  SagaAwaitingApproval,
  SagaApproved,
  SagaCompensating,
  CompensationSucceeded,
  CompensationFailed,
  CompensationStuck,
  CompensationResolved,
  ForwardRecoveryFailed,
  OperatorRetried,
  OperatorActionRequested,
  SagaQuarantined,
  SagaCompleted,
  SagaCompensated,
  SagaForked,
];

export type SagaEvent =
  | EventOf<typeof SagaStarted>
  | EventOf<typeof CompensationRegistered>
  | EventOf<typeof StepSucceeded>
  | EventOf<typeof PivotEntered>
  | EventOf<typeof StepFailed>
  | EventOf<typeof ParallelStarted>
  | EventOf<typeof BranchStopped>
  | EventOf<typeof ChildSagaStarted>
  | EventOf<typeof SagaWaiting>
  | EventOf<typeof SagaWaitEnded>
  | EventOf<typeof SagaSignalled>
  | EventOf<typeof SagaAwaitingApproval>
  | EventOf<typeof SagaApproved>
  | EventOf<typeof SagaCompensating>
  | EventOf<typeof CompensationSucceeded>
  | EventOf<typeof CompensationFailed>
  | EventOf<typeof CompensationStuck>
  | EventOf<typeof CompensationResolved>
  | EventOf<typeof ForwardRecoveryFailed>
  | EventOf<typeof OperatorRetried>
  | EventOf<typeof OperatorActionRequested>
  | EventOf<typeof SagaQuarantined>
  | EventOf<typeof SagaCompleted>
  | EventOf<typeof SagaCompensated>
  | EventOf<typeof SagaForked>;

export const sagaStreamId = (sagaId: string) => `saga-${sagaId}`;
/** The saga a stream id belongs to (the inverse of sagaStreamId); undefined for any other stream. */
export const sagaIdOf = (streamId: string): string | undefined => (streamId.startsWith('saga-') ? streamId.slice('saga-'.length) : undefined);
