import type { z } from 'zod';
import type { CommandTarget, Decider } from '../eventstore';

/**
 * What a saga author writes: steps that do work and say how to undo it.
 *
 * A step has up to two parts, and the engine runs each its own way:
 *
 * - `call`: work outside the database, usually an outside system's effect
 *   (authorize a card, book a courier) made with `ctx.idempotencyKey`. It runs
 *   as its own checkpointed DBOS step, retried on transient failures, and
 *   never inside a transaction (an open transaction holds back the gap-safe
 *   feed for every reader). Once its answer is checkpointed it is never
 *   called again; a crash before that repeats it, which the key makes harmless.
 * - `commands`: the facts to record, built from the call's result. The engine
 *   loads the aggregates, decides, appends the domain events and the saga's
 *   own events, and DBOS checkpoints the step, all in one transaction: a step
 *   that committed is never decided again.
 *
 * A step with no `call` is exactly one transaction.
 */
export interface StepInfo {
  sagaId: string;
  /** Logical step name, e.g. "authorizePayment". */
  step: string;
  /**
   * Stable per (saga, step): the same key on every retry, round and operator
   * retry, and in every fork of the saga, so a provider performs the effect once.
   */
  idempotencyKey: string;
  /** For compensations: why the saga is compensating. */
  reason?: string;
  /** Outputs of the forward steps so far, by step name. */
  outputs: Record<string, unknown>;
}

export interface CallContext extends StepInfo {
  /** Current state of an aggregate, e.g. for an undo to see whether there is anything to undo. */
  load<S>(decider: Decider<S, any, any>, streamId: string): Promise<S>;
}

export interface CommitContext<R> extends StepInfo {
  /** What the step's call answered (undefined for a step without one). */
  result: R;
}

export interface StepDefinition<R = unknown> {
  /** Work outside the database; its result is the step's output. */
  call?: (ctx: CallContext) => Promise<R>;
  /** Commands to decide and commit in the step's transaction. */
  commands?: (ctx: CommitContext<R>) => CommandTarget[];
  /** Registered before the step runs: an undo must tolerate "nothing to undo". */
  compensation?: CompensationDefinition<any>;
  /**
   * The point of no return. The engine records that the pivot was entered
   * before its call, and from then on the saga only goes forward: cancel and
   * deadline are refused, failures are retried and then parked for an operator.
   */
  pivot?: boolean;
}

export interface CompensationDefinition<R = unknown> {
  name: string;
  /** The undo at an outside system; resolve to `undefined` when there is nothing to undo there. */
  call?: (ctx: CallContext) => Promise<R | undefined>;
  /** Commands recording the undo. An undo whose call did nothing and whose commands decided nothing undid nothing. */
  commands?: (ctx: CommitContext<R | undefined>) => CommandTarget[];
}

/**
 * `I` is the input as callers give it (checked with `input` at the edge);
 * `P` is the input the saga runs on and every store keeps, after `protect`.
 */
export interface SagaDefinition<I = any, P = I> {
  /** e.g. "order-fulfillment"; also the DBOS workflow name (`saga.<type>`). */
  type: string;
  input: z.ZodType<I>;
  /**
   * Seals the input's personal data before the saga starts (SagaEngine.start),
   * so DBOS's workflow input, SagaStarted and every event after it hold none
   * in clear, whoever starts the saga. Given an input it already protected, it
   * returns it unchanged (a retried start passes the stored one).
   */
  protect?: (input: unknown) => Promise<P>;
  /**
   * How a start request is told apart from another under the same
   * Idempotency-Key (its canonical JSON given): by default a SHA-256 of it.
   * A saga with personal data keys it with the customer's data key, so the
   * fingerprint says nothing once the customer is forgotten.
   */
  fingerprint?: (input: I, canonicalRequest: string) => Promise<string | undefined>;
  /** The business id operators search by (an order id). */
  businessKey: (input: P) => string;
  /** The flow. What it returns is the saga's output, recorded by SagaCompleted. */
  run: (saga: SagaControl, input: P) => Promise<unknown>;
}

/** What each branch of `parallel` resolved to, by branch name. */
export type BranchResults<B extends Record<string, StepDefinition<any>>> = {
  [K in keyof B]: B[K] extends StepDefinition<infer R> ? R : never;
};

/** A registered saga to run as a step of another (see SagaControl.child). */
export interface ChildSaga {
  type: string;
  /** Validated by the child's own input schema when it starts. */
  input: unknown;
}

/** What a saga's body can do; implemented by the engine inside the workflow. */
export interface SagaControl {
  readonly sagaId: string;
  step<R>(name: string, definition: StepDefinition<R>): Promise<R>;
  /**
   * Run steps at once and wait for all of them. Each branch is a step named by
   * its key (unique in the saga), recorded with `group`. When one fails, the
   * others that have not begun are stopped, and every branch that did its work
   * is compensated, latest completion first. A pivot cannot be a branch: the
   * point of no return is one point.
   */
  parallel<B extends Record<string, StepDefinition<any>>>(group: string, branches: B): Promise<BranchResults<B>>;
  /**
   * Run another registered saga as this step and wait for its outcome: its
   * output when it completes; when it compensates, this step fails and this
   * saga compensates. Compensating this saga later compensates the completed
   * child too (its own compensations, in its own stream).
   */
  child<O = unknown>(name: string, saga: ChildSaga): Promise<O>;
  /** Wait durably (a timer that survives restarts); an operator's cancel ends the wait. */
  sleep(ms: number): Promise<void>;
  /**
   * Wait durably for a signal sent to this saga (POST /sagas/:id/signals/:name)
   * and return its payload, or undefined after `timeoutSeconds`. A signal sent
   * before the saga waits for it is kept until it does.
   */
  waitForSignal<P = unknown>(name: string, timeoutSeconds: number): Promise<P | undefined>;
  /** Wait durably for an operator's approve/reject; a timeout rejects and compensates. */
  awaitApproval(reason: string, timeoutSeconds: number): Promise<void>;
}

/** The workflow's input: the saga's input plus what must be fixed at start. */
export interface SagaEnvelope<I = unknown> {
  /** The saga started with this input. A fork runs on a copy, so there it names the saga the lineage began with. */
  sagaId: string;
  input: I;
  startedAt: string;
  deadline: string;
  /** Set when another saga runs this one as its step `step` (SagaControl.child). */
  parent?: { sagaId: string; step: string };
}

export type SagaOutcome = { status: 'COMPLETED'; output?: unknown } | { status: 'COMPENSATED'; reason: string };

/** A message to a running saga (DBOS send/recv, topic "control"). */
export interface ControlMessage {
  action: 'approve' | 'reject' | 'cancel' | 'retry' | 'resolve' | 'signal';
  actor: string;
  reason?: string;
  /** For `signal`: which one, and what it carries. */
  signal?: string;
  payload?: unknown;
}

export const CONTROL_TOPIC = 'control';
