import type { Pool } from '../db/pool';
import { PollLoop, type AppendNotifier, type CommandHandler, type EventStore, type RecordedEvent } from '../eventstore';
import type { Logger } from '../log';
import { advanceCheckpoint, ensureCheckpoint, readCheckpoint, tryLock } from './checkpoint';
import { reactionId, type ProcessManager } from './definition';

export interface RunnerDeps {
  pool: Pool;
  store: EventStore;
  handler: CommandHandler;
  /** Start a saga under this id; an id that exists starts nothing (SagaEngine.start). */
  startSaga: (sagaType: string, sagaId: string, input: unknown) => Promise<void>;
  /** Wakes the runner on appends; it polls as well. */
  notifier?: AppendNotifier;
  log: Logger;
}

export interface RunnerOptions {
  batchSize?: number;
  /** Longest wait between reads without a notification; also the standby's retry interval. */
  pollMs?: number;
}

export type BatchResult =
  | { kind: 'handled'; events: number; reactions: number }
  | { kind: 'caught-up' }
  /** Another process is handling this process manager right now. */
  | { kind: 'busy' };

/**
 * Follows the gap-safe global feed for one process manager, from its durable
 * checkpoint. Every server process runs one; the advisory lock lets one of
 * them handle a batch at a time and the others stand by.
 *
 * The guarantee relied on is idempotency, not the lock: reactions run before
 * the checkpoint commits (a DBOS start cannot join our transaction), so after
 * a crash, or if a lock were ever lost mid-batch, events are read again, and
 * their reactions resolve to the saga or command that already exists. The
 * lock only keeps processes from doing that work twice in the common case.
 */
export class ProcessManagerRunner {
  private readonly loop: PollLoop;

  constructor(
    private readonly deps: RunnerDeps,
    readonly pm: ProcessManager,
    private readonly options: RunnerOptions = {},
  ) {
    this.loop = new PollLoop({
      tick: async () => {
        const result = await this.runBatch();
        return result.kind === 'handled' ? result.events : 0;
      },
      notifier: deps.notifier,
      minPollMs: 10,
      maxPollMs: options.pollMs ?? 250,
      coalesceMs: 10,
      onError: (err, failures) =>
        deps.log.error({ err, processManager: pm.name, failures }, 'process manager batch failed; retrying'),
    });
  }

  async start(): Promise<this> {
    if (this.loop.isRunning) return this;
    await ensureCheckpoint(this.deps.pool, this.pm.name);
    this.loop.start();
    return this;
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Lock, read after the checkpoint, react to each event, advance the checkpoint, commit. */
  async runBatch(): Promise<BatchResult> {
    const { pool, store } = this.deps;
    // Idle wake-ups (most appends concern others) cost one probe, not a transaction.
    if (!(await store.hasEventsAfter(await readCheckpoint(pool, this.pm.name)))) return { kind: 'caught-up' };
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      if (!(await tryLock(client, this.pm.name))) {
        await client.query('ROLLBACK');
        return { kind: 'busy' };
      }
      const events = await store.readAll(await readCheckpoint(client, this.pm.name), this.options.batchSize ?? 200, client);
      if (events.length === 0) {
        await client.query('COMMIT');
        return { kind: 'caught-up' };
      }
      let reactions = 0;
      for (const event of events) reactions += await this.react(event);
      const last = events[events.length - 1];
      await advanceCheckpoint(client, this.pm.name, { txid: last.txid, position: last.globalPosition });
      await client.query('COMMIT');
      return { kind: 'handled', events: events.length, reactions };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  private async react(event: RecordedEvent): Promise<number> {
    if (!this.pm.eventTypes.includes(event.type)) return 0;
    // Skipping an event we cannot read would silently drop a reaction: stop here, loudly, and retry.
    if (event.decodeError) throw new Error(`${this.pm.name}: cannot read ${event.type} at ${event.globalPosition}: ${event.decodeError}`);
    const reactions = this.pm.react(event);
    for (const [index, reaction] of reactions.entries()) {
      const id = reactionId(this.pm, event.eventId, index);
      if (reaction.kind === 'startSaga') {
        await this.deps.startSaga(reaction.sagaType, id, reaction.input);
      } else {
        await this.deps.handler.handle(reaction.commands, {
          commandId: id,
          metadata: { correlationId: event.metadata.correlationId ?? id, causationId: event.eventId },
        });
      }
      this.deps.log.info({ processManager: this.pm.name, eventId: event.eventId, reaction: reaction.kind, id }, 'process manager reacted');
    }
    return reactions.length;
  }
}
