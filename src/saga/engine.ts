import { randomUUID } from 'node:crypto';
import { DBOS, type WorkflowHandle } from '@dbos-inc/dbos-sdk';
import { inTransaction } from '../db/pool';
import { isWrongExpectedVersion, type EventStore } from '../eventstore';
import { CONTROL_TOPIC, type ControlMessage, type SagaDefinition, type SagaEnvelope, type SagaOutcome } from './definition';
import type { ChildStarter } from './children';
import { OperatorActionRequested, SagaQuarantined, SagaSignalled, sagaStreamId } from './events';
import { assertDurableApi, dbosDurable, type Durable } from './durable';
import type { StepExecutor } from './executor';
import { forkSaga, type ForkRequest, type ForkResult } from './fork';
import { SagaRun, type RecoveryPolicy } from './run';
import { foldSaga, TERMINAL_STATUSES, type SagaStatus, type SagaView } from './state';

/** An operator's action (a signal is not one: see SagaEngine.signal). */
export type OperatorMessage = ControlMessage & { action: Exclude<ControlMessage['action'], 'signal'> };

/** The input does not satisfy the saga type's schema; `issues` names each field. */
export class SagaInputError extends Error {
  readonly code = 'INVALID_SAGA_INPUT';
  constructor(
    readonly sagaType: string,
    readonly issues: { path: PropertyKey[]; message: string }[],
  ) {
    super(`invalid input for saga type ${sagaType}: ${issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`);
  }
}

export class UnknownSagaTypeError extends Error {
  readonly code = 'UNKNOWN_SAGA_TYPE';
  constructor(readonly sagaType: string) {
    super(`no saga type ${sagaType}`);
  }
}

export class SagaNotFoundError extends Error {
  readonly code = 'SAGA_NOT_FOUND';
  constructor(readonly sagaId: string) {
    super(`saga ${sagaId} not found`);
  }
}

/** An operator action that does not apply to the saga's current status. */
export class SagaStateError extends Error {
  readonly code = 'SAGA_STATE_CONFLICT';
  constructor(
    readonly sagaId: string,
    readonly status: SagaStatus,
    action: string,
    why = `it is ${status}`,
  ) {
    super(`cannot ${action} saga ${sagaId}: ${why}`);
  }
}

/**
 * Why an operator action does not apply to the saga as it is, or undefined
 * when it does. Past the pivot (entered, not only passed: its effect may have
 * happened) the saga only goes forward, so it cannot be cancelled.
 */
function refusal(action: OperatorMessage['action'], v: SagaView): string | undefined {
  const it = `it is ${v.status}`;
  switch (action) {
    case 'approve':
    case 'reject':
      return v.status === 'AWAITING_APPROVAL' ? undefined : it;
    case 'cancel':
      if (v.status !== 'RUNNING' && v.status !== 'AWAITING_APPROVAL') return it;
      return v.pivot ? `it is past its pivot: ${v.pivot.step} was entered at ${v.pivot.enteredAt}, so it only goes forward` : undefined;
    case 'retry':
      return v.status === 'FAILED' || v.status === 'COMPENSATION_STUCK' || v.status === 'QUARANTINED' ? undefined : it;
    case 'resolve':
      return v.status === 'COMPENSATION_STUCK' ? undefined : it;
  }
}

/** How sagas reach a process that runs them. */
export interface Dispatch {
  /** Enqueue on this DBOS queue (any live process of `applicationVersion` takes it); unset: run where started. */
  queueName?: string;
  /**
   * With a queue: run a saga here at once while this process runs fewer than
   * this many, and enqueue it only beyond that (no poll delay at low load,
   * spread under load). Unset: always enqueue.
   */
  localCapacity?: number;
  applicationVersion?: string;
  /** DBOS dead-letters a workflow recovered more often than this (a crash loop). */
  maxRecoveryAttempts?: number;
}

/** Statuses in which the saga waits for a message (DBOS recv): only then is one sent. */
const WAITING: readonly SagaStatus[] = ['AWAITING_APPROVAL', 'FAILED', 'COMPENSATION_STUCK'];

/**
 * Registers saga definitions as DBOS workflows (before DBOS.launch), starts
 * them, and carries operator actions to them.
 */
export class SagaEngine {
  private readonly workflows = new Map<string, (envelope: SagaEnvelope) => Promise<SagaOutcome>>();
  private readonly registered = new Map<string, SagaDefinition>();
  /** How a saga starts the registered sagas it runs as steps (input parsed and protected like any start). */
  private readonly children: ChildStarter = {
    invalid: (type, input) => {
      try {
        this.parse(type, input);
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    },
    start: async (type, childId, input, parent) => {
      const stored = await this.protect(type, this.parse(type, input));
      return DBOS.startWorkflow(this.workflows.get(type)!, { workflowID: childId })(this.envelope(childId, stored, this.deadlineSeconds, parent));
    },
  };

  constructor(
    private readonly store: EventStore,
    private readonly executor: StepExecutor,
    private readonly recovery: RecoveryPolicy,
    private readonly deadlineSeconds: number,
    private readonly durable: Durable = dbosDurable,
    private readonly dispatch: Dispatch = {},
  ) {
    assertDurableApi();
  }

  /** Sagas executing in this process now (started here, claimed from the queue, or recovered). */
  running = 0;

  register(definition: SagaDefinition): this {
    const workflow = DBOS.registerWorkflow(
      async (envelope: SagaEnvelope) => {
        this.running++;
        try {
          return await new SagaRun(this.executor, this.durable, this.recovery, definition, envelope, this.children).execute();
        } finally {
          this.running--;
        }
      },
      { name: `saga.${definition.type}`, maxRecoveryAttempts: this.dispatch.maxRecoveryAttempts },
    );
    this.workflows.set(definition.type, workflow);
    this.registered.set(definition.type, definition);
    return this;
  }

  /** The registered saga types, in registration order. */
  definitions(): readonly SagaDefinition[] {
    return [...this.registered.values()];
  }

  /** `input` as saga type `type` reads it (defaults applied), or SagaInputError naming each field. */
  parse(type: string, input: unknown): unknown {
    const definition = this.registered.get(type);
    if (!definition) throw new UnknownSagaTypeError(type);
    const parsed = definition.input.safeParse(input);
    if (!parsed.success) throw new SagaInputError(type, parsed.error.issues);
    return parsed.data;
  }

  /** The (parsed) input as the saga of `type` stores it: its personal data sealed (the definition's `protect`). */
  async protect(type: string, input: unknown): Promise<unknown> {
    const protect = this.registered.get(type)?.protect;
    return protect ? protect(input) : input;
  }

  /**
   * Start a saga with `sagaId` as its DBOS workflow id. Starting an id that
   * exists returns the existing saga (DBOS's idempotency). The handle's
   * getResult() waits for the saga's outcome. The input is protected first,
   * so no personal data reaches DBOS's tables in clear.
   */
  async start(type: string, sagaId: string, input: unknown, options: { deadlineSeconds?: number; stored?: boolean } = {}): Promise<WorkflowHandle<SagaOutcome>> {
    // A stored input (a retried start) was parsed and protected when it was recorded.
    const stored = options.stored ? input : await this.protect(type, this.parse(type, input));
    const workflow = this.workflows.get(type);
    if (!workflow) throw new UnknownSagaTypeError(type);
    const envelope = this.envelope(sagaId, stored, options.deadlineSeconds ?? this.deadlineSeconds);
    const { queueName, applicationVersion, localCapacity } = this.dispatch;
    const here = !queueName || (localCapacity !== undefined && this.running < localCapacity);
    return DBOS.startWorkflow(workflow, {
      workflowID: sagaId,
      ...(here ? {} : { queueName, enqueueOptions: { applicationVersion } }),
    })(envelope);
  }

  private envelope(sagaId: string, input: unknown, deadlineSeconds: number, parent?: SagaEnvelope['parent']): SagaEnvelope {
    const now = Date.now();
    return {
      sagaId,
      input,
      startedAt: new Date(now).toISOString(),
      deadline: new Date(now + deadlineSeconds * 1000).toISOString(),
      ...(parent ? { parent } : {}),
    };
  }

  /**
   * Park a saga whose workflow DBOS gave up on (too many recoveries): an
   * event, once per dead-lettering (the command id names it).
   */
  async quarantine(sagaId: string, recoveryAttempts: number, occurrence: string): Promise<void> {
    const reason = `crashed the processes that ran it: ${recoveryAttempts} recoveries`;
    await this.store.append(sagaStreamId(sagaId), [SagaQuarantined({ recoveryAttempts, reason })], {
      commandId: `quarantine:${sagaId}:${occurrence}`,
      metadata: { correlationId: sagaId },
    });
  }

  async view(sagaId: string): Promise<SagaView | undefined> {
    return foldSaga(sagaId, await this.store.readStream(sagaStreamId(sagaId)));
  }

  /** Wait until the saga reaches one of `statuses` (tests, demos). */
  async waitFor(sagaId: string, statuses: SagaStatus[], timeoutMs = 30_000): Promise<SagaView> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const view = await this.view(sagaId);
      if (view && statuses.includes(view.status)) return view;
      if (Date.now() > end) throw new Error(`saga ${sagaId} is ${view?.status ?? 'not started'}, not ${statuses.join('|')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Record who asked for what and why (an event), then, if the saga is
   * waiting for one, tell it (a DBOS message it receives durably). A running
   * saga finds a cancel itself: every step checks for one, under the saga
   * stream's lock, before its effect. The request is appended against the
   * version the decision was made on, so an action racing the saga's own
   * progress (the pivot being entered, say) is decided again on what happened.
   */
  async act(sagaId: string, message: OperatorMessage): Promise<SagaView> {
    const view = await this.requestWhen(sagaId, message, (v) => {
      const why = refusal(message.action, v);
      if (why) throw new SagaStateError(sagaId, v.status, message.action, why);
    });
    // DBOS dead-lettered its workflow: resuming puts it back in line, with its recovery count reset.
    if (view.status === 'QUARANTINED') await DBOS.resumeWorkflow(sagaId, { queueName: this.dispatch.queueName });
    // A saga waiting on a child saga hears a cancel once the child ends: so the child is cancelled too.
    if (message.action === 'cancel') await this.cancelChildren(view, message);
    return (await this.view(sagaId))!;
  }

  /**
   * Send signal `signal` to a saga, for a `waitForSignal` now or later (DBOS
   * keeps the message until the saga receives it). Recorded like an operator
   * request, in the same transaction as the message.
   */
  async signal(sagaId: string, signal: string, payload: unknown, actor: string): Promise<SagaView> {
    const message: ControlMessage = { action: 'signal', actor, signal, payload };
    await this.requestWhen(sagaId, message, (v) => {
      if (TERMINAL_STATUSES.includes(v.status)) throw new SagaStateError(sagaId, v.status, `signal ${signal} to`);
    });
    return (await this.view(sagaId))!;
  }

  /** Check the request against the saga as it is, then record and send it; decided again if the saga moved meanwhile. */
  private async requestWhen(sagaId: string, message: ControlMessage, check: (view: SagaView) => void): Promise<SagaView> {
    for (let attempt = 1; ; attempt++) {
      const view = await this.view(sagaId);
      if (!view) throw new SagaNotFoundError(sagaId);
      check(view);
      try {
        await this.request(sagaId, view, message);
        return view;
      } catch (err) {
        if (isWrongExpectedVersion(err) && attempt < 10) continue;
        throw err;
      }
    }
  }

  private async cancelChildren(view: SagaView, message: OperatorMessage): Promise<void> {
    for (const child of view.children ?? []) {
      const status = (await this.view(child.sagaId))?.status;
      if (status !== 'RUNNING' && status !== 'AWAITING_APPROVAL') continue;
      await this.act(child.sagaId, { ...message, reason: `its parent ${view.sagaId} was cancelled${message.reason ? `: ${message.reason}` : ''}` }).catch((err) => {
        // It moved on meanwhile (past its pivot, ended): its parent hears how it ended.
        if (!(err instanceof SagaStateError)) throw err;
      });
    }
  }

  /**
   * The request as an event and, to a waiting saga, as a DBOS message, in one
   * transaction (DBOS's SQL function `send_message` on the database both
   * share): a crash cannot leave a recorded request the saga never hears of.
   * The message id is the event's, so it is sent once.
   */
  private async request(sagaId: string, view: SagaView, message: ControlMessage): Promise<void> {
    const { action, actor, reason, signal, payload } = message;
    const recorded = action === 'signal' ? SagaSignalled({ signal: signal!, payload, actor }) : OperatorActionRequested({ action, actor, reason });
    const event = { ...recorded, eventId: randomUUID() };
    const writes = [{ streamId: sagaStreamId(sagaId), events: [event], expected: view.version }];
    // A running saga finds a cancel at its next step; one in a wait hears it now. Signals always go: the saga may wait for one later.
    const send = action === 'signal' || WAITING.includes(view.status) || view.waiting !== undefined;
    const appended = await inTransaction(this.store.pool, async (tx) => {
      const result = await this.store.appendMany(writes, { metadata: { correlationId: sagaId, actor: message.actor }, announceAfterCommit: true }, tx);
      if (send) {
        await tx.query('SELECT dbos.send_message($1, $2::json, $3, $4)', [sagaId, JSON.stringify(message), CONTROL_TOPIC, event.eventId]);
      }
      return result;
    });
    this.store.committed(writes, appended);
  }

  /** Re-run a finished saga from one of its steps as a new saga (semantics in fork.ts). */
  async fork(sagaId: string, request: ForkRequest): Promise<ForkResult> {
    const view = await this.view(sagaId);
    if (!view) throw new SagaNotFoundError(sagaId);
    if (!TERMINAL_STATUSES.includes(view.status)) throw new SagaStateError(sagaId, view.status, 'fork');
    return forkSaga(this.store, view, request, this.deadlineSeconds, this.dispatch);
  }
}
