import { setImmediate as nextTurn } from 'node:timers/promises';
import type { PoolClient } from '../db/pool';
import type { ControlMessage } from './definition';
import type { Durable, TransactionResult } from './durable';
import type { StepOutcome } from './executor';

/** A step's transaction work, told when the outcome is decided (see holdCommit). */
export type HeldWork = (
  client: PoolClient,
  commandId: string,
  beforeCommit: (outcome: StepOutcome) => Promise<{ output: unknown } | undefined>,
) => Promise<TransactionResult<StepOutcome>>;

/**
 * One saga execution's line to DBOS. Every durable operation of the saga goes
 * through here, and each first waits for a step commit still held open
 * (holdCommit), so the saga never acts on an outcome that is not durable. It
 * also numbers the saga's own DBOS steps: `<saga>/<n>-<label>` names each,
 * the same on every replay (fork.ts maps them back to DBOS step ids).
 */
export class SagaSession {
  private sequence = 0;
  /** A step's transaction still open while the body runs on with its outcome. */
  private held?: Promise<StepOutcome>;
  /** What the saga body returned, once it has. */
  finished?: { output: unknown };

  constructor(
    readonly sagaId: string,
    private readonly durable: Durable,
  ) {}

  async transaction<T>(label: string, work: (client: PoolClient, commandId: string) => Promise<TransactionResult<T>>): Promise<T> {
    await this.settle();
    const commandId = this.nextCommandId(label);
    return this.durable.transaction(label, (client) => work(client, commandId));
  }

  /** `work` is told the call's command id: the same on every replay. */
  async call<T>(label: string, work: (callId: string) => Promise<T>): Promise<T> {
    await this.settle();
    const callId = this.nextCommandId(label);
    return this.durable.step(label, () => work(callId));
  }

  /**
   * Calls that run at once (parallel branches). DBOS numbers a workflow's
   * operations as they are invoked, so a replay finds each checkpoint only if
   * the calls are invoked in the same order every time: all of them here, in
   * the given order, with no await in between.
   */
  async calls<T>(calls: { label: string; work: (callId: string) => Promise<T> }[]): Promise<Promise<T>[]> {
    await this.settle();
    return calls.map(({ label, work }) => {
      const callId = this.nextCommandId(label);
      return this.durable.step(label, () => work(callId));
    });
  }

  async sleep(ms: number): Promise<void> {
    await this.settle();
    await this.durable.sleep(ms);
  }

  async recv<M = ControlMessage>(topic: string, deadlineEpochMS: number): Promise<M | null> {
    await this.settle();
    return this.durable.recv<M>(topic, deadlineEpochMS);
  }

  /** A durable message to another workflow (sent once, whatever the replays). */
  async send(destination: string, message: unknown, topic: string): Promise<void> {
    await this.settle();
    await this.durable.send(destination, message, topic);
  }

  /** Start a child workflow (DBOS records which, so a replay finds the same child). */
  async startChild(start: () => Promise<unknown>): Promise<void> {
    await this.settle();
    await this.durable.startChild(start);
  }

  /** Wait for a held step's commit; its outcome says whether it recorded the saga's completion. */
  async settle(): Promise<StepOutcome | undefined> {
    const held = this.held;
    this.held = undefined;
    return held;
  }

  /**
   * The saga's completion belongs in its last step's transaction, but the
   * engine cannot know a step is the last until the body returns. So a
   * forward step hands its outcome to the body just before it commits and
   * lets the body run on for one turn of the event loop: if the body returned
   * meanwhile (`finished`), the work records the completion in the same
   * transaction. Whatever the body does next through this session first
   * waits for the commit. The checkpoint records whether the completion was
   * folded in, so a replay takes the same path.
   */
  holdCommit(label: string, work: HeldWork): Promise<StepOutcome> {
    let handedOver: StepOutcome | undefined;
    let handOver!: (outcome: StepOutcome) => void;
    const early = new Promise<StepOutcome>((resolve) => (handOver = resolve));
    const committed = this.transaction(label, (client, commandId) =>
      work(client, commandId, async (outcome) => {
        if (!handedOver) {
          handedOver = outcome;
          handOver(outcome);
        } else if (handedOver.kind !== outcome.kind) {
          // DBOS re-ran the transaction after a lost connection and the world changed in between.
          throw new Error(`step ${label} decided ${outcome.kind} on a retried commit after the saga went on with ${handedOver.kind}`);
        }
        await nextTurn();
        return this.finished;
      }),
    );
    this.held = committed;
    return Promise.race([early, committed]).catch((err) => {
      // Failed before the body saw an outcome: nothing to wait for.
      this.held = undefined;
      throw err;
    });
  }

  private nextCommandId(label: string): string {
    return `${this.sagaId}/${++this.sequence}-${label}`;
  }
}
