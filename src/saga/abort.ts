/** Why a saga compensates (SagaCompensating's `cause`). */
export type CompensationCause = 'step_failed' | 'rejected' | 'approval_timeout' | 'cancelled' | 'deadline' | 'parent_compensating';

/** Thrown through the saga body to stop going forward; caught by SagaRun.execute, which compensates. */
export class Abort {
  readonly code = 'SAGA_ABORTED';
  constructor(
    readonly cause: CompensationCause,
    readonly reason: string,
  ) {}
}

/** An hour at a time: DBOS needs a deadline for every wait, and a wait for a person or another saga has none of its own. */
export const LONG_WAIT_MS = 3600_000;

export const byWhom = (verb: string, msg: { actor: string; reason?: string }) => `${verb} by ${msg.actor}${msg.reason ? `: ${msg.reason}` : ''}`;
