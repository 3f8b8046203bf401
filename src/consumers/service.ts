import { EventEmitter } from 'node:events';
import type { Pool } from '../db/pool';
import type { AppendNotifier, EventStore } from '../eventstore';
import type { Logger } from '../log';
import { ensureConsumer, markCleaned, resetCheckpoint, retiredUncleaned, startRebuild, versionsOf, type RebuildStarted } from './checkpoints';
import type { Consumer, ConsumerKind } from './consumer';
import { listDeadLetters, replayDeadLetter, type DeadLetter, type ReplayResult } from './dead-letters';
import { FeedReader } from './feed';
import { ConsumerGroup, type GroupOptions } from './group';
import { consumerStatuses, waitForPosition, type ConsumerStatus } from './status';

export interface ConsumersOptions extends Partial<Omit<GroupOptions, 'owner'>> {
  owner: string;
  consumers: Consumer[];
  notifier?: AppendNotifier;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
}

const DEFAULTS: Omit<GroupOptions, 'owner'> = {
  batchSize: 500,
  leaseTtlMs: 10_000,
  minPollMs: 50,
  maxPollMs: 1_000,
  coalesceMs: 20,
  maxAttempts: 3,
  retryBaseMs: 100,
};

/** The longest a read-your-writes wait may take. */
export const MAX_READ_WAIT_MS = 5_000;

export class ConsumerNotFoundError extends Error {
  readonly code = 'CONSUMER_NOT_FOUND';
  constructor(name: string) {
    super(`no consumer named ${name}`);
  }
}

/**
 * Every consumer of one process (projections, process managers, the outbox):
 * a group per lane following the feed, and what the HTTP API, the CLI,
 * metrics and the console ask about them.
 */
export class Consumers {
  /** `advanced:<name>` after every checkpoint commit in this process. */
  readonly advanced = new EventEmitter().setMaxListeners(0);
  readonly feed: FeedReader;
  private readonly groups: ConsumerGroup[] = [];
  private readonly byName: Map<string, Consumer>;

  constructor(
    private readonly pool: Pool,
    private readonly store: EventStore,
    private readonly options: ConsumersOptions,
  ) {
    this.byName = new Map(options.consumers.map((c) => [c.name, c]));
    this.feed = new FeedReader(store, pool);
  }

  names(kind?: ConsumerKind): string[] {
    return [...this.byName.values()].filter((c) => !kind || c.kind === kind).map((c) => c.name);
  }

  get(name: string, kind?: ConsumerKind): Consumer {
    const consumer = this.byName.get(name);
    if (!consumer || (kind && consumer.kind !== kind)) throw new ConsumerNotFoundError(name);
    return consumer;
  }

  has(name: string, kind?: ConsumerKind): boolean {
    const consumer = this.byName.get(name);
    return consumer !== undefined && (!kind || consumer.kind === kind);
  }

  /** ensure(), then follow the feed: one group per lane. */
  async start(): Promise<void> {
    if (this.groups.length > 0) return;
    await this.ensure();
    const { owner, notifier, log, consumers, ...tuning } = this.options;
    const lanes = new Map<string, Consumer[]>();
    for (const consumer of consumers) lanes.set(consumer.lane ?? 'local', [...(lanes.get(consumer.lane ?? 'local') ?? []), consumer]);
    for (const members of lanes.values()) {
      const deps = { pool: this.pool, feed: this.feed, notifier, advanced: this.advanced, log, cleanUp: (c: Consumer) => this.cleanUp(c) };
      this.groups.push(new ConsumerGroup(deps, members, { ...DEFAULTS, ...tuning, owner }).start());
    }
  }

  /** Create missing consumers (live from position zero); rebuild those whose live version was built by older rules. */
  async ensure(): Promise<void> {
    for (const consumer of this.byName.values()) {
      await ensureConsumer(this.pool, consumer.name, consumer.kind, consumer.rulesVersion);
      await this.cleanUp(consumer).catch((err) => this.options.log.warn({ err, consumer: consumer.name }, 'consumer clean-up failed'));
      const versions = await versionsOf(this.pool, consumer.name);
      const live = versions.find((v) => v.status === 'live');
      if (live && live.rulesVersion < consumer.rulesVersion && !versions.some((v) => v.status === 'rebuilding')) {
        this.options.log.info({ consumer: consumer.name, from: live.rulesVersion, to: consumer.rulesVersion }, 'consumer rules changed: rebuilding');
        await startRebuild(this.pool, consumer.name, consumer.kind, consumer.rulesVersion);
      }
    }
  }

  /** Delete the rows of versions retired by a rebuild (also after a crash in between). */
  private async cleanUp(consumer: Consumer): Promise<void> {
    if (!consumer.drop) return;
    for (const version of await retiredUncleaned(this.pool, consumer.name)) {
      await consumer.drop(this.pool, version);
      await markCleaned(this.pool, consumer.name, version);
    }
  }

  /** Stops following the feed and hands the leases over (unless told to leave them, as a crash would). */
  async stop(options: { releaseLeases?: boolean } = {}): Promise<void> {
    await Promise.all(this.groups.map((g) => g.stop(options)));
    this.groups.length = 0;
  }

  status(filter: { name?: string; kind?: ConsumerKind } = {}): Promise<ConsumerStatus[]> {
    return consumerStatuses(this.pool, filter);
  }

  /** Lag and parked count of each live version, in the shape metrics read. */
  async lagReport(): Promise<{ name: string; kind: ConsumerKind; version: number; position: number; lagEvents: number; lagMs: number; parked: number }[]> {
    return (await this.status())
      .filter((s) => s.status === 'live')
      .map((s) => ({ name: s.name, kind: s.kind, version: s.version, position: s.checkpoint.position, lagEvents: s.lag.events, lagMs: s.lag.ms, parked: s.parked }));
  }

  /** The newest position written so far: no write ever returned a larger one. */
  async head(): Promise<number> {
    return (await this.store.head()).position;
  }

  /** True once the live version of `name` has handled the event at `position`; false after `timeoutMs`. */
  waitForPosition(name: string, position: number, timeoutMs = MAX_READ_WAIT_MS): Promise<boolean> {
    this.get(name);
    return waitForPosition(this.pool, name, position, timeoutMs, this.advanced);
  }

  /** Every consumer (or every one of a kind) has handled everything committed so far (tests, benchmarks). */
  async waitForCaughtUp(timeoutMs = 10_000, kind?: ConsumerKind): Promise<boolean> {
    const { position } = await this.store.head();
    const reached = await Promise.all(this.names(kind).map((name) => this.waitForPosition(name, position, timeoutMs)));
    return reached.every(Boolean);
  }

  /**
   * From position zero. A versioned consumer (a projection) builds a new
   * version beside the live one and switches reads when it has caught up;
   * any other is reset in place (a process manager reacts again, idempotently;
   * the outbox republishes, and the stream's duplicate window drops what it
   * still remembers).
   */
  async rebuild(name: string): Promise<RebuildStarted> {
    const consumer = this.get(name);
    const started = consumer.drop
      ? await startRebuild(this.pool, name, consumer.kind, consumer.rulesVersion)
      : { version: 1, started: await resetCheckpoint(this.pool, name) };
    for (const group of this.groups) if (group.consumers.includes(consumer)) group.reclaim();
    return started;
  }

  deadLetters(name: string, options: { includeReplayed?: boolean; limit?: number } = {}): Promise<DeadLetter[]> {
    this.get(name);
    return listDeadLetters(this.pool, name, options);
  }

  /** Handle a parked event again; an empty list when nothing is parked at that position. */
  replay(name: string, position: number): Promise<ReplayResult[]> {
    return replayDeadLetter(this.pool, this.store, this.get(name), position);
  }
}
