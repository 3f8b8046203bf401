import type { NewEvent } from '../eventstore';
import { Abort, byWhom, LONG_WAIT_MS } from './abort';
import type { ControlMessage } from './definition';
import { SagaApproved, SagaAwaitingApproval, SagaWaitEnded, SagaWaiting } from './events';
import type { Guard, StepExecutor } from './executor';
import type { Mailbox } from './mailbox';
import type { SagaSession } from './session';

/** What a saga run lends its waits. */
export interface WaitHost {
  readonly sagaId: string;
  readonly session: SagaSession;
  readonly executor: StepExecutor;
  readonly mailbox: Mailbox;
  /** The cancel/deadline guard; undefined past the pivot (`always`: the approval's, which is always guarded). */
  guard(always?: 'always'): Guard | undefined;
  takeOwed(): NewEvent[];
  owe(...events: NewEvent[]): void;
  record(label: string, events: NewEvent[]): Promise<unknown>;
}

/**
 * A saga's durable waits: for an operator's approval, a signal, a timer, or
 * an operator's retry/resolve. Each records when it ends (SagaAwaitingApproval,
 * SagaWaiting) in a guarded transaction, so the moment is fixed for replays
 * and a cancel found there stops the saga before it waits; then it receives
 * DBOS messages until one answers it or the time is up.
 */
export class Waits {
  constructor(private readonly host: WaitHost) {}

  async approval(reason: string, timeoutSeconds: number): Promise<void> {
    const waiting = await this.start('SagaAwaitingApproval', this.host.guard('always'), timeoutSeconds * 1000, (timeoutAt) => SagaAwaitingApproval({ reason, timeoutAt }));
    for (;;) {
      const msg = await this.host.mailbox.next(waiting.timeoutAt);
      if (msg === null) {
        if (waiting.byDeadline) throw new Abort('deadline', `saga deadline ${new Date(waiting.timeoutAt).toISOString()} passed awaiting approval`);
        throw new Abort('approval_timeout', `no approval within ${timeoutSeconds}s`);
      }
      if (msg.action === 'approve') {
        await this.host.record('SagaApproved', [SagaApproved({ actor: msg.actor, reason: msg.reason })]);
        return;
      }
      if (msg.action === 'reject') throw new Abort('rejected', byWhom('rejected', msg));
      if (msg.action === 'cancel') throw new Abort('cancelled', byWhom('cancelled', msg));
      // Anything else (a stale message) does not apply while awaiting approval.
    }
  }

  async signal<P>(name: string, timeoutSeconds: number): Promise<P | undefined> {
    const kept = this.host.mailbox.take(name);
    if (kept) {
      this.host.owe(SagaWaitEnded({ signal: name, timedOut: false }));
      return kept.payload as P;
    }
    return (await this.wait(name, timeoutSeconds * 1000))?.payload as P | undefined;
  }

  async sleep(ms: number): Promise<void> {
    await this.wait(undefined, ms);
  }

  /** Parked (FAILED, COMPENSATION_STUCK): the next message that is one of `actions`. */
  async operator(actions: ControlMessage['action'][]): Promise<ControlMessage> {
    for (;;) {
      const msg = await this.host.mailbox.next(Date.now() + LONG_WAIT_MS);
      if (msg && actions.includes(msg.action)) return msg;
    }
  }

  /** A durable wait for a signal or a timer; before the pivot a cancel ends it, and the deadline caps it. */
  private async wait(signal: string | undefined, ms: number): Promise<ControlMessage | undefined> {
    const guard = this.host.guard();
    const waiting = await this.start(signal ? `wait ${signal}` : 'sleep', guard, ms, (until) => SagaWaiting({ signal, until }));
    for (;;) {
      const msg = await this.host.mailbox.next(waiting.timeoutAt, signal);
      if (msg === null && waiting.byDeadline) throw new Abort('deadline', `saga deadline ${new Date(waiting.timeoutAt).toISOString()} passed while waiting`);
      if (msg === null || msg.action === 'signal') {
        this.host.owe(SagaWaitEnded({ signal, timedOut: msg === null }));
        return msg ?? undefined;
      }
      if (msg.action === 'cancel' && guard) throw new Abort('cancelled', byWhom('cancelled', msg));
    }
  }

  private async start(label: string, guard: Guard | undefined, timeoutMs: number, event: (until: string) => NewEvent) {
    const { sagaId, session, executor } = this.host;
    const owed = this.host.takeOwed();
    const waiting = await session.transaction(label, (client, commandId) => executor.startWait(client, { sagaId, commandId, guard, owed, timeoutMs, event }));
    if (waiting.kind === 'interrupted') throw new Abort(waiting.cause, waiting.reason);
    return waiting;
  }
}
