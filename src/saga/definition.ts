import type { z } from 'zod';
import type { CommandTarget, Decider } from '../eventstore';

/**
 * What a saga author writes: steps that do work and say how to undo it.
 *
 * A step body may call an outside provider (with `ctx.idempotencyKey`) and
 * returns the domain commands to commit. The engine commits those commands and
 * the saga's own events in one transaction, under a command id derived from
 * (saga id, step sequence), so a step re-run after a crash returns its recorded
 * result instead of deciding again.
 */
export interface StepContext {
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
  /** Current state of an aggregate, e.g. for an undo to see whether there is anything to undo. */
  load<S>(decider: Decider<S, any, any>, streamId: string): Promise<S>;
}

/** The part of a step context fixed by the workflow (the executor adds `load`). */
export type StepCallContext = Omit<StepContext, 'load'>;

export interface StepWork<O = unknown> {
  commands?: CommandTarget[];
  output?: O;
}

export interface CompensationWork {
  commands?: CommandTarget[];
  /** The forward step left nothing behind (it failed, or never ran). */
  nothingToUndo?: boolean;
}

export interface CompensationDefinition {
  name: string;
  run: (ctx: StepContext) => Promise<CompensationWork>;
}

export interface StepDefinition<O = unknown> {
  run: (ctx: StepContext) => Promise<StepWork<O>>;
  /** Registered before the step runs: an undo must tolerate "nothing to undo". */
  compensation?: CompensationDefinition;
  /** The point of no return: from here on failures retry forward, never compensate. */
  pivot?: boolean;
  /** The last step: the saga's completion is recorded in the same transaction. */
  completes?: boolean;
}

export interface SagaDefinition<I = any> {
  /** e.g. "order-fulfillment"; also the DBOS workflow name (`saga.<type>`). */
  type: string;
  input: z.ZodType<I>;
  /** The business id operators search by (an order id). */
  businessKey: (input: I) => string;
  run: (saga: SagaControl, input: I) => Promise<unknown>;
}

/** What a saga's body can do; implemented by the engine inside the workflow. */
export interface SagaControl {
  readonly sagaId: string;
  step<O>(name: string, definition: StepDefinition<O>): Promise<O>;
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
}

export type SagaOutcome = { status: 'COMPLETED'; output?: unknown } | { status: 'COMPENSATED'; reason: string };

/** A message to a running saga (DBOS send/recv, topic "control"). */
export interface ControlMessage {
  action: 'approve' | 'reject' | 'cancel' | 'retry' | 'resolve';
  actor: string;
  reason?: string;
}

export const CONTROL_TOPIC = 'control';
