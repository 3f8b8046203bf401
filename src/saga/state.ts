import type { RecordedEvent } from '../eventstore';
import type { ErrorInfo, SagaEvent } from './events';

/**
 * A saga's status and trail, folded from its stream. This is what operators
 * and the HTTP API see; the saga workflow itself keeps its own working state in
 * DBOS checkpoints.
 */
export const SAGA_STATUSES = [
  'RUNNING',
  'AWAITING_APPROVAL',
  'COMPENSATING',
  'COMPLETED',
  'COMPENSATED',
  'COMPENSATION_STUCK',
  'FAILED',
  'QUARANTINED',
] as const;
export type SagaStatus = (typeof SAGA_STATUSES)[number];

export const TERMINAL_STATUSES: readonly SagaStatus[] = ['COMPLETED', 'COMPENSATED'];

export interface StepView {
  name: string;
  /** `stopped`: a parallel branch that never began because another failed first. */
  status: 'succeeded' | 'failed' | 'stopped';
  pivot: boolean;
  attempts: number;
  startedAt: string;
  durationMs: number;
  error?: ErrorInfo;
  output?: unknown;
  /** The parallel group this step was a branch of. */
  group?: string;
  /** The child saga this step ran. */
  child?: string;
}

export interface CompensationView {
  step: string;
  name: string;
  status: 'registered' | 'succeeded' | 'failed' | 'stuck' | 'resolved';
  attempts: number;
  nothingToUndo?: boolean;
  error?: ErrorInfo;
  resolution?: { actor: string; reason: string };
}

export interface SagaView {
  sagaId: string;
  type: string;
  businessKey: string;
  status: SagaStatus;
  input: Record<string, unknown>;
  /** The pivot was entered (its effect may have happened): the saga only goes forward. */
  pivoted: boolean;
  /** Which pivot, and when it was entered. */
  pivot?: { step: string; enteredAt: string };
  compensationReason?: string;
  failure?: { step: string; error: ErrorInfo };
  awaitingApprovalUntil?: string;
  cancelRequested: boolean;
  steps: StepView[];
  compensations: CompensationView[];
  operatorActions: { action: string; actor: string; reason?: string; at: string }[];
  startedAt: string;
  updatedAt: string;
  endedAt?: string;
  version: number;
  /** This saga re-runs another from one of its steps (a fork). */
  forkedFrom?: { sagaId: string; fromStep: number; stepName?: string };
  /** Parked after crashing the processes that ran it (see SagaQuarantined). */
  quarantine?: { recoveryAttempts: number; reason: string; at: string };
  /** The status a quarantined saga goes back to when it is resumed. */
  resumeStatus?: SagaStatus;
  /** This saga runs as a step of another. */
  parent?: { sagaId: string; step: string };
  /** Sagas this one ran as its steps. */
  children?: { step: string; sagaId: string; type: string }[];
  /** A durable wait in progress: for a signal, or a timer (no signal). */
  waiting?: { signal?: string; until: string };
  /** Sagas forked from this one. */
  forks?: { sagaId: string; fromStep: number; stepName?: string; actor: string; at: string }[];
}

export function foldSaga(sagaId: string, events: RecordedEvent[]): SagaView | undefined {
  let view: SagaView | undefined;
  for (const recorded of events) view = evolveSaga(view, sagaId, recorded);
  return view;
}

/**
 * One event's step of foldSaga, for readers that keep the view between events
 * (the saga-overview projection). Mutates and returns `view`.
 */
export function evolveSaga(view: SagaView | undefined, sagaId: string, recorded: RecordedEvent): SagaView | undefined {
  const e = { type: recorded.type, data: recorded.data } as SagaEvent;
  const at = recorded.recordedAt.toISOString();
  if (e.type === 'SagaStarted') {
    view = {
      sagaId,
      type: e.data.sagaType,
      businessKey: e.data.businessKey,
      status: 'RUNNING',
      input: e.data.input,
      pivoted: false,
      cancelRequested: false,
      steps: [],
      compensations: [],
      operatorActions: [],
      startedAt: at,
      updatedAt: at,
      version: 0,
      ...(e.data.parent ? { parent: e.data.parent } : {}),
    };
  }
  if (!view) return view;
  view.updatedAt = at;
  view.version = recorded.streamPosition;
  apply(view, e, at);
  return view;
}

function compensation(view: SagaView, step: string): CompensationView | undefined {
  return view.compensations.find((c) => c.step === step);
}

function enterPivot(view: SagaView, step: string, at: string): void {
  view.pivoted = true;
  view.pivot = { step, enteredAt: at };
}

function apply(view: SagaView, e: SagaEvent, at: string): void {
  switch (e.type) {
    case 'CompensationRegistered':
      if (!compensation(view, e.data.step)) {
        view.compensations.push({ step: e.data.step, name: e.data.compensation, status: 'registered', attempts: 0 });
      }
      break;
    case 'StepSucceeded': {
      const { step, output, ...timing } = e.data;
      view.steps.push({ name: step, status: 'succeeded', output, ...timing });
      if (e.data.pivot && !view.pivoted) enterPivot(view, step, at);
      if (view.status === 'FAILED') view.status = 'RUNNING';
      view.failure = undefined;
      break;
    }
    case 'BranchStopped':
      view.steps.push({ name: e.data.step, status: 'stopped', pivot: false, attempts: 0, startedAt: at, durationMs: 0, group: e.data.group });
      break;
    case 'ChildSagaStarted':
      (view.children ??= []).push({ step: e.data.step, sagaId: e.data.childId, type: e.data.type });
      break;
    case 'SagaWaiting':
      view.waiting = { signal: e.data.signal, until: e.data.until };
      break;
    case 'SagaWaitEnded':
      view.waiting = undefined;
      break;
    case 'ParallelStarted':
    case 'SagaSignalled':
      break;
    case 'PivotEntered':
      enterPivot(view, e.data.step, at);
      break;
    case 'StepFailed': {
      const { step, error, ...timing } = e.data;
      view.steps.push({ name: step, status: 'failed', pivot: false, error, ...timing });
      break;
    }
    case 'SagaAwaitingApproval':
      view.status = 'AWAITING_APPROVAL';
      view.awaitingApprovalUntil = e.data.timeoutAt;
      break;
    case 'SagaApproved':
      view.status = 'RUNNING';
      view.awaitingApprovalUntil = undefined;
      break;
    case 'SagaCompensating':
      view.status = 'COMPENSATING';
      view.compensationReason = e.data.reason;
      view.awaitingApprovalUntil = undefined;
      view.waiting = undefined;
      // A completed child saga is compensated when its parent is.
      view.endedAt = undefined;
      break;
    case 'CompensationSucceeded': {
      const c = compensation(view, e.data.step);
      if (c) Object.assign(c, { status: 'succeeded', attempts: c.attempts + e.data.attempts, nothingToUndo: e.data.nothingToUndo, error: undefined });
      if (view.status === 'COMPENSATION_STUCK') view.status = 'COMPENSATING';
      break;
    }
    case 'CompensationFailed': {
      const c = compensation(view, e.data.step);
      if (c) Object.assign(c, { status: 'failed', attempts: c.attempts + e.data.attempts, error: e.data.error });
      break;
    }
    case 'CompensationStuck': {
      const c = compensation(view, e.data.step);
      if (c) Object.assign(c, { status: 'stuck', error: e.data.error });
      view.status = 'COMPENSATION_STUCK';
      break;
    }
    case 'CompensationResolved': {
      const c = compensation(view, e.data.step);
      if (c) Object.assign(c, { status: 'resolved', resolution: { actor: e.data.actor, reason: e.data.reason } });
      view.status = 'COMPENSATING';
      break;
    }
    case 'ForwardRecoveryFailed':
      view.status = 'FAILED';
      view.failure = { step: e.data.step, error: e.data.error };
      break;
    case 'OperatorRetried':
      if (view.status === 'COMPENSATION_STUCK') view.status = 'COMPENSATING';
      else if (view.status === 'FAILED') view.status = 'RUNNING';
      break;
    case 'OperatorActionRequested':
      view.operatorActions.push({ action: e.data.action, actor: e.data.actor, reason: e.data.reason, at });
      if (e.data.action === 'cancel') view.cancelRequested = true;
      // A quarantined saga is not running to record its own retry: the request resumes it.
      if (e.data.action === 'retry' && view.status === 'QUARANTINED') view.status = view.resumeStatus ?? 'RUNNING';
      break;
    case 'SagaQuarantined':
      if (view.status !== 'QUARANTINED') view.resumeStatus = view.status;
      view.status = 'QUARANTINED';
      view.quarantine = { recoveryAttempts: e.data.recoveryAttempts, reason: e.data.reason, at };
      break;
    case 'SagaCompleted':
      view.status = 'COMPLETED';
      view.endedAt = at;
      break;
    case 'SagaCompensated':
      view.status = 'COMPENSATED';
      view.endedAt = at;
      break;
    case 'SagaForked': {
      const link = { fromStep: e.data.fromStep, stepName: e.data.stepName };
      if (e.data.to === view.sagaId) view.forkedFrom = { sagaId: e.data.from, ...link };
      else (view.forks ??= []).push({ sagaId: e.data.to, ...link, actor: e.data.actor, at });
      break;
    }
    case 'SagaStarted':
      break;
  }
}
