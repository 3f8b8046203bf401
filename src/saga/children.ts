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
