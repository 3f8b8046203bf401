import { setTimeout as sleep } from 'node:timers/promises';
import { loadAggregate } from './aggregate';
import type { Decider, DomainEvent } from './decider';
import { ConcurrencyRetriesExhaustedError, isWrongExpectedVersion } from './errors';
import type { SnapshotStore } from './snapshots';
import type { EventStore } from './store';
import type { AppendResult, EventMetadata, NewEvent, StreamWrite } from './types';

/** One command for one aggregate instance. */
export interface CommandTarget<S = any, C = any, E extends DomainEvent = any> {
  decider: Decider<S, C, E>;
  streamId: string;
  command: C;
}

export interface Decision {
  streamId: string;
  /** Version the decision was made on. */
  version: number;
  events: DomainEvent[];
  /** State after the new events. */
  state: unknown;
}

export interface HandleOptions {
  /** Idempotency key, e.g. derived from (workflow id, step id). */
  commandId?: string;
  metadata?: EventMetadata;
  /**
   * Extra writes committed in the same transaction, built from the decisions
   * (a saga step records its own transition next to the domain events).
   */
  also?: (decisions: Decision[]) => StreamWrite[];
  /** Attempts on optimistic-concurrency conflicts before giving up. */
  maxAttempts?: number;
  /** The caller already looked the command id up (the append still guards against races). */
  knownNew?: boolean;
}

export interface HandleResult {
  /** True when the command id had already run: nothing was decided or written now. */
  duplicate: boolean;
  append: AppendResult;
  /** Events written by this command, per stream (read back when duplicate). */
  events: { streamId: string; type: string; data: unknown }[];
  /** Fresh decisions with their new states; empty when duplicate. */
  decisions: Decision[];
}

/**
 * load → decide → append with the expected versions, retried on conflicts.
 * Several targets are decided together and appended atomically, so a command
 * spanning aggregates (reserve every line of an order) is all-or-nothing.
 *
 * A command id that already ran returns its recorded result without deciding
 * again: a re-run must never reject because it sees its own earlier effect.
 */
export class CommandHandler {
  constructor(
    readonly store: EventStore,
    readonly snapshots?: SnapshotStore,
  ) {}

  async handle(targets: CommandTarget[], options: HandleOptions = {}): Promise<HandleResult> {
    if (options.commandId && !options.knownNew) {
      const recorded = await this.store.findCommand(options.commandId);
      if (recorded) return this.replay(recorded);
    }
    const maxAttempts = options.maxAttempts ?? 10;
    for (let attempt = 1; ; attempt++) {
      const decisions: Decision[] = [];
      for (const target of targets) {
        const loaded = await loadAggregate(this.store, this.snapshots, target.decider, target.streamId);
        const events = target.decider.decide(target.command, loaded.state);
        const state = events.reduce(target.decider.evolve, loaded.state);
        decisions.push({ streamId: target.streamId, version: loaded.version, events, state });
      }
      const writes: StreamWrite[] = decisions.map((d) => ({
        streamId: d.streamId,
        expected: d.version,
        events: d.events.map((e): NewEvent => ({ type: e.type, data: e.data })),
      }));
      writes.push(...(options.also?.(decisions) ?? []));
      try {
        const append = await this.store.appendMany(writes, { commandId: options.commandId, metadata: options.metadata });
        if (append.duplicate) return this.replay(append);
        await this.snapshotIfDue(targets, decisions, append);
        return {
          duplicate: false,
          append,
          decisions,
          events: decisions.flatMap((d) => d.events.map((e) => ({ streamId: d.streamId, ...e }))),
        };
      } catch (err) {
        if (!isWrongExpectedVersion(err)) throw err;
        if (attempt >= maxAttempts) throw new ConcurrencyRetriesExhaustedError(attempt, err);
        // Jittered backoff spreads out writers racing for one hot stream.
        await sleep(Math.random() * Math.min(100, 2 ** attempt));
      }
    }
  }

  private async replay(append: AppendResult): Promise<HandleResult> {
    const recorded = await this.store.readAppended(append);
    return {
      duplicate: true,
      append,
      decisions: [],
      events: recorded.map((e) => ({ streamId: e.streamId, type: e.type, data: e.data })),
    };
  }

  private async snapshotIfDue(targets: CommandTarget[], decisions: Decision[], append: AppendResult): Promise<void> {
    if (!this.snapshots) return;
    for (const [i, decision] of decisions.entries()) {
      const written = append.streams.find((s) => s.streamId === decision.streamId);
      if (!written || !this.snapshots.isDue(written.previousVersion, written.version)) continue;
      const { decider } = targets[i];
      // A cache: a failed write only means a longer fold next time.
      await this.snapshots
        .save(decision.streamId, decider.name, decider.version, written.version, decision.state)
        .catch(() => {});
    }
  }
}
