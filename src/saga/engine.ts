import { DBOS } from '@dbos-inc/dbos-sdk';
import type { EventStore } from '../eventstore';
import { CONTROL_TOPIC, type ControlMessage, type SagaDefinition, type SagaEnvelope, type SagaOutcome } from './definition';
import { OperatorActionRequested, sagaStreamId } from './events';
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
  ) {
    super(`cannot ${action} saga ${sagaId}: it is ${status}`);
  }
}

/** Which statuses each operator action applies to. */
const ACTION_ALLOWED: Record<ControlMessage['action'], (v: SagaView) => boolean> = {
  approve: (v) => v.status === 'AWAITING_APPROVAL',
  reject: (v) => v.status === 'AWAITING_APPROVAL',
  // Past the pivot the saga only goes forward.
  cancel: (v) => (v.status === 'RUNNING' || v.status === 'AWAITING_APPROVAL') && !v.pivoted,
  retry: (v) => v.status === 'FAILED' || v.status === 'COMPENSATION_STUCK',
  resolve: (v) => v.status === 'COMPENSATION_STUCK',
};

/**
 * Registers saga definitions as DBOS workflows (before DBOS.launch), starts
 * them, and carries operator actions to them.
 */
export class SagaEngine {
  private readonly workflows = new Map<string, (envelope: SagaEnvelope) => Promise<SagaOutcome>>();

  constructor(
    private readonly store: EventStore,
    private readonly executor: StepExecutor,
    private readonly recovery: RecoveryPolicy,
    private readonly deadlineSeconds: number,
  ) {}

  register(definition: SagaDefinition): this {
    const workflow = DBOS.registerWorkflow(
      async (envelope: SagaEnvelope) => new SagaRun(this.executor, this.recovery, definition, envelope).execute(),
      { name: `saga.${definition.type}` },
    );
    this.workflows.set(definition.type, workflow);
    return this;
  }

  /**
   * Start a saga with `sagaId` as its DBOS workflow id. Starting an id that
   * exists returns the existing saga (DBOS's idempotency).
   */
  async start(type: string, sagaId: string, input: unknown, options: { deadlineSeconds?: number } = {}): Promise<void> {
    const workflow = this.workflows.get(type);
    if (!workflow) throw new Error(`no saga type ${type}`);
    const now = Date.now();
    const envelope: SagaEnvelope = {
      sagaId,
      input,
      startedAt: new Date(now).toISOString(),
      deadline: new Date(now + (options.deadlineSeconds ?? this.deadlineSeconds) * 1000).toISOString(),
    };
    await DBOS.startWorkflow(workflow, { workflowID: sagaId })(envelope);
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
   * Record who asked for what and why (an event), then tell the saga (a DBOS
   * message it receives durably). The saga records what it did about it.
   */
  async act(sagaId: string, message: ControlMessage): Promise<SagaView> {
    const view = await this.view(sagaId);
    if (!view) throw new SagaNotFoundError(sagaId);
    if (!ACTION_ALLOWED[message.action](view)) throw new SagaStateError(sagaId, view.status, message.action);
    await this.store.append(sagaStreamId(sagaId), [OperatorActionRequested(message)], {
      metadata: { correlationId: sagaId, actor: message.actor },
    });
    await DBOS.send(sagaId, message, CONTROL_TOPIC);
    return (await this.view(sagaId))!;
  }

  /** Re-run a finished saga from one of its steps as a new saga (semantics in fork.ts). */
  async fork(sagaId: string, request: ForkRequest): Promise<ForkResult> {
    const view = await this.view(sagaId);
    if (!view) throw new SagaNotFoundError(sagaId);
    if (!TERMINAL_STATUSES.includes(view.status)) throw new SagaStateError(sagaId, view.status, 'fork');
    return forkSaga(this.store, view, request, this.deadlineSeconds);
  }
}
