import { setTimeout as sleep } from 'node:timers/promises';
import { loadAggregates, type Loaded } from './aggregate';
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
    if (options.commandId) {
      const recorded = await this.store.findCommand(options.commandId);
      if (recorded) return this.replay(recorded);
    }
    const maxAttempts = options.maxAttempts ?? 10;
    for (let attempt = 1; ; attempt++) {
      const loaded = await loadAggregates(this.store, targets, this.store.pool, this.snapshots !== undefined);
      const decisions = decideAll(targets, loaded);
      const writes = decisionWrites(decisions);
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
    // A cache: a failed write only means a longer fold next time.
    await this.snapshots?.saveDue(targets, decisions, append).catch(() => {});
  }
}

/**
 * Decide every target on its loaded state, in order. Two commands on one
 * stream see each other: the second decides on the state after the first.
 * Throws the first DomainError (nothing is written then).
 */
export function decideAll(targets: CommandTarget[], loaded: Loaded<unknown>[]): Decision[] {
  const latest = new Map<string, Decision>();
  const decisions: Decision[] = [];
  targets.forEach((target, i) => {
    const before = latest.get(target.streamId);
    const state = before ? before.state : loaded[i].state;
    const events = target.decider.decide(target.command, state);
    const decision: Decision = {
      streamId: target.streamId,
      version: before ? before.version : loaded[i].version,
      events: [...(before?.events ?? []), ...events],
      state: events.reduce(target.decider.evolve, state),
    };
    latest.set(target.streamId, decision);
    decisions.push(decision);
  });
  // One decision per stream: the last, which carries the stream's events so far.
  return decisions.filter((d) => latest.get(d.streamId) === d);
}

/** The appends committing `decisions`, each stream checked against the version it was decided on. */
export function decisionWrites(decisions: Decision[]): StreamWrite[] {
  return decisions.map((d) => ({
    streamId: d.streamId,
    expected: d.version,
    events: d.events.map((e): NewEvent => ({ type: e.type, data: e.data })),
  }));
}
