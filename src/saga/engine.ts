import { randomUUID } from 'node:crypto';
import { DBOS, type WorkflowHandle } from '@dbos-inc/dbos-sdk';
import { inTransaction } from '../db/pool';
import { isWrongExpectedVersion, type EventStore } from '../eventstore';
import { CONTROL_TOPIC, type ControlMessage, type SagaDefinition, type SagaEnvelope, type SagaOutcome } from './definition';
import { OperatorActionRequested, SagaQuarantined, sagaStreamId } from './events';
import { assertDurableApi, dbosDurable, type Durable } from './durable';
import type { StepExecutor } from './executor';
import { forkSaga, type ForkRequest, type ForkResult } from './fork';
import { SagaRun, type RecoveryPolicy } from './run';
import { foldSaga, TERMINAL_STATUSES, type SagaStatus, type SagaView } from './state';

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
function refusal(action: ControlMessage['action'], v: SagaView): string | undefined {
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
  private readonly protectors = new Map<string, NonNullable<SagaDefinition['protect']>>();

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
          return await new SagaRun(this.executor, this.durable, this.recovery, definition, envelope).execute();
        } finally {
          this.running--;
        }
      },
      { name: `saga.${definition.type}`, maxRecoveryAttempts: this.dispatch.maxRecoveryAttempts },
    );
    this.workflows.set(definition.type, workflow);
    if (definition.protect) this.protectors.set(definition.type, definition.protect);
    return this;
  }

  /** The input as the saga of `type` stores it: its personal data sealed (the definition's `protect`). */
  async protect(type: string, input: unknown): Promise<unknown> {
    const protect = this.protectors.get(type);
    return protect ? protect(input) : input;
  }

  /**
   * Start a saga with `sagaId` as its DBOS workflow id. Starting an id that
   * exists returns the existing saga (DBOS's idempotency). The handle's
   * getResult() waits for the saga's outcome. The input is protected first,
   * so no personal data reaches DBOS's tables in clear.
   */
  async start(type: string, sagaId: string, input: unknown, options: { deadlineSeconds?: number } = {}): Promise<WorkflowHandle<SagaOutcome>> {
    const workflow = this.workflows.get(type);
    if (!workflow) throw new Error(`no saga type ${type}`);
    const stored = await this.protect(type, input);
    const now = Date.now();
    const envelope: SagaEnvelope = {
      sagaId,
      input: stored,
      startedAt: new Date(now).toISOString(),
      deadline: new Date(now + (options.deadlineSeconds ?? this.deadlineSeconds) * 1000).toISOString(),
    };
    const { queueName, applicationVersion, localCapacity } = this.dispatch;
    const here = !queueName || (localCapacity !== undefined && this.running < localCapacity);
    return DBOS.startWorkflow(workflow, {
      workflowID: sagaId,
      ...(here ? {} : { queueName, enqueueOptions: { applicationVersion } }),
    })(envelope);
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
  async act(sagaId: string, message: ControlMessage): Promise<SagaView> {
    for (let attempt = 1; ; attempt++) {
      const view = await this.view(sagaId);
      if (!view) throw new SagaNotFoundError(sagaId);
      const why = refusal(message.action, view);
      if (why) throw new SagaStateError(sagaId, view.status, message.action, why);
      try {
        await this.request(sagaId, view, message);
      } catch (err) {
        if (isWrongExpectedVersion(err) && attempt < 10) continue;
        throw err;
      }
      // DBOS dead-lettered its workflow: resuming puts it back in line, with its recovery count reset.
      if (view.status === 'QUARANTINED') await DBOS.resumeWorkflow(sagaId, { queueName: this.dispatch.queueName });
      return (await this.view(sagaId))!;
    }
  }

  /**
   * The request as an event and, to a waiting saga, as a DBOS message, in one
   * transaction (DBOS's SQL function `send_message` on the database both
   * share): a crash cannot leave a recorded request the saga never hears of.
   * The message id is the event's, so it is sent once.
   */
  private async request(sagaId: string, view: SagaView, message: ControlMessage): Promise<void> {
    const event = { ...OperatorActionRequested(message), eventId: randomUUID() };
    const writes = [{ streamId: sagaStreamId(sagaId), events: [event], expected: view.version }];
    const appended = await inTransaction(this.store.pool, async (tx) => {
      const result = await this.store.appendMany(writes, { metadata: { correlationId: sagaId, actor: message.actor }, announceAfterCommit: true }, tx);
      if (WAITING.includes(view.status)) {
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
