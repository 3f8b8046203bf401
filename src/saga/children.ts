import { LONG_WAIT_MS } from './abort';
import type { SagaOutcome } from './definition';
import type { SagaSession } from './session';

/**
 * A child saga runs as one step of its parent (SagaControl.child), in its own
 * DBOS workflow and its own stream. The two talk by DBOS messages, which are
 * durable on both sides:
 *
 *   child  → parent  `child:<step>`       its outcome: completed (with output) or compensated
 *   parent → child   `parent`             the verdict on a completed child: release, or compensate
 *   child  → parent  `child:<step>:undone` the child finished compensating
 *
 * A completed child stays open (waiting for the verdict) until its parent
 * ends: compensating the parent must be able to undo the child, with the
 * child's own compensations, which only its own workflow holds.
 */
export type ChildReport = { status: 'COMPLETED'; output: unknown } | { status: 'COMPENSATED'; reason: string };
export type ParentVerdict = { verdict: 'release' } | { verdict: 'compensate'; reason: string };

export const childTopic = (step: string) => `child:${step}`;
export const undoneTopic = (step: string) => `child:${step}:undone`;
export const PARENT_TOPIC = 'parent';

/** The child's id: fixed by its parent and step, so a replay or a retried start finds the same saga. */
export const childSagaId = (parentId: string, step: string) => `${parentId}.${step}`;

/** What the engine lends a saga run so it can start the registered sagas it runs as steps. */
export interface ChildStarter {
  /** Why `input` is no valid input for saga type `type`, or undefined when it is. */
  invalid(type: string, input: unknown): string | undefined;
  /** Starts the child's workflow from the parent's workflow (DBOS records it as the parent's child). */
  start(type: string, childId: string, input: unknown, parent: { sagaId: string; step: string }): Promise<unknown>;
}

/**
 * The child's side, once its body has ended: tell the parent how. Completed,
 * it then waits for the parent's verdict: released when the parent
 * completes; compensated (`compensate`: its own compensations) when the parent
 * compensates, after which it says it is done.
 */
export async function reportToParent(
  session: SagaSession,
  parent: { sagaId: string; step: string },
  outcome: SagaOutcome,
  compensate: (reason: string) => Promise<void>,
): Promise<SagaOutcome> {
  const report: ChildReport = outcome.status === 'COMPLETED' ? { status: 'COMPLETED', output: outcome.output } : { status: 'COMPENSATED', reason: outcome.reason };
  await session.send(parent.sagaId, report, childTopic(parent.step));
  if (outcome.status !== 'COMPLETED') return outcome;
  for (;;) {
    const verdict = await session.recv<ParentVerdict>(PARENT_TOPIC, Date.now() + LONG_WAIT_MS);
    if (verdict?.verdict === 'release') return outcome;
    if (verdict?.verdict === 'compensate') {
      await compensate(verdict.reason);
      await session.send(parent.sagaId, { status: 'COMPENSATED', reason: verdict.reason } satisfies ChildReport, undoneTopic(parent.step));
      return { status: 'COMPENSATED', reason: verdict.reason };
    }
  }
}

/** The parent's side: the outcome of the child it runs as step `step` (waits as long as the child runs). */
export async function childOutcome(session: SagaSession, step: string): Promise<ChildReport> {
  for (;;) {
    const report = await session.recv<ChildReport>(childTopic(step), Date.now() + LONG_WAIT_MS);
    if (report) return report;
  }
}

/** The parent's side of compensating a completed child: ask it, and wait until it is done. */
export async function compensateChild(session: SagaSession, childId: string, step: string, reason: string): Promise<void> {
  await session.send(childId, { verdict: 'compensate', reason } satisfies ParentVerdict, PARENT_TOPIC);
  while (!(await session.recv<ChildReport>(undoneTopic(step), Date.now() + LONG_WAIT_MS)));
}

/** The parent completed: its completed children are done. */
export const releaseChild = (session: SagaSession, childId: string) => session.send(childId, { verdict: 'release' } satisfies ParentVerdict, PARENT_TOPIC);
