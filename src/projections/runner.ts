import type { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from '../db/pool';
import { PollLoop, type AppendNotifier, type EventStore } from '../eventstore';
import type { Logger } from '../log';
import { runBatch, type BatchContext, type BatchResult } from './batch';
import { activeVersions, markCleaned, releaseLeases, retiredUncleaned } from './checkpoints';
import type { Projection } from './projection';

export interface RunnerOptions {
  /** Lease owner: the process's executor id (unique per process, stable across its restarts). */
  owner: string;
  batchSize: number;
  /** A crashed owner's lease is taken over after this long. */
  leaseTtlMs: number;
  /** Idle polling backs off from min to max; a NOTIFY wakes the runner at once. */
  minPollMs: number;
  maxPollMs: number;
  /** Attempts at an event that keeps failing before it is parked. */
  maxAttempts: number;
  retryBaseMs: number;
}

export interface RunnerDeps {
  pool: Pool;
  store: EventStore;
  projection: Projection;
  notifier?: AppendNotifier;
  /** Emits `advanced:<name>` after each commit (read-your-writes waits listen). */
  advanced: EventEmitter;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/**
 * Follows the global feed for one projection, in every server process.
 *
 * Ownership is a lease row (owner, expiry by the database clock, fencing
 * counter), not pg_try_advisory_lock: a session lock lives and dies with one
 * connection, which a transaction pooler (PgBouncer) does not give us, is
 * invisible to GET /projections, and is lost on a connection blip while the
 * process goes on writing. A lease survives all that, shows who owns what,
 * and a crashed owner's lease simply expires. The lease only decides who
 * does the work; correctness does not rest on it: every batch locks the
 * version's row and reads its checkpoint under that lock, so even two
 * processes that both believe they own it take turns and never apply an
 * event twice.
 */
export class ProjectionRunner {
  private readonly ctx: BatchContext;
  /** Per version: how many more events to take one at a time after a failed batch. */
  private readonly isolating = new Map<number, number>();
  private readonly loop: PollLoop;
  private starting?: Promise<void>;

  constructor(
    private readonly deps: RunnerDeps,
    private readonly options: RunnerOptions,
  ) {
    this.ctx = { pool: deps.pool, store: deps.store, projection: deps.projection, owner: options.owner, leaseTtlMs: options.leaseTtlMs };
    this.loop = new PollLoop({
      tick: () => this.tick(),
      notifier: deps.notifier,
      minPollMs: options.minPollMs,
      maxPollMs: options.maxPollMs,
      coalesceMs: 10,
      onError: (err) => deps.log.error({ err, projection: this.name }, 'projection runner failed; retrying'),
    });
  }

  get name(): string {
    return this.deps.projection.name;
  }

  start(): this {
    if (this.starting) return this;
    // Rows of versions a rebuild retired (also after a crash in between) go first.
    this.starting = this.cleanUp()
      .catch((err) => this.deps.log.warn({ err, projection: this.name }, 'projection clean-up failed'))
      .then(() => this.loop.start());
    return this;
  }

  /** `releaseLeases: false` leaves the lease to expire, as a crash would (tests). */
  async stop(options: { releaseLeases?: boolean } = {}): Promise<void> {
    if (!this.starting) return;
    await this.starting;
    this.starting = undefined;
    await this.loop.stop();
    if (options.releaseLeases !== false) await releaseLeases(this.deps.pool, this.options.owner, this.name).catch(() => {});
  }

  wake(): void {
    this.loop.wake();
  }

  /** One batch for each version this process may work on; returns the events handled. */
  async tick(): Promise<number> {
    const { projection } = this.deps;
    let handled = 0;
    for (const row of await activeVersions(this.deps.pool, projection.name)) {
      // Built by other rules (a rolling deploy): left to the processes that run them.
      if (row.rulesVersion !== projection.rulesVersion) continue;
      const mine = row.leaseOwner === this.options.owner;
      if (row.leaseHeld && !mine) continue;
      // Nothing to apply: only our own lease renewal (due halfway) or a rebuild's switch needs a transaction.
      const renewDue = mine && row.leaseRemainingMs < this.options.leaseTtlMs / 2;
      if (!row.pending && row.status === 'live' && !renewDue && !this.isolating.has(row.version)) continue;
      handled += await this.advance(row.version);
    }
    return handled;
  }

  /** Delete the rows of versions retired by a rebuild (also after a crash in between). */
  async cleanUp(): Promise<void> {
    const { pool, projection } = this.deps;
    for (const version of await retiredUncleaned(pool, projection.name)) {
      await projection.drop(pool, version);
      await markCleaned(pool, projection.name, version);
    }
  }

  private async advance(version: number): Promise<number> {
    if (!this.isolating.has(version)) {
      try {
        return await this.settle(version, await runBatch(this.ctx, version, { limit: this.options.batchSize }));
      } catch (err) {
        // One bad event fails the whole batch: find it by taking those events one at a time.
        this.deps.log.warn({ err, projection: this.name, version }, 'projection batch failed; retrying its events one by one');
        this.isolating.set(version, this.options.batchSize);
      }
    }
    return this.advanceOne(version);
  }

  /** One event, retried with backoff; the last attempt parks it if it still fails. */
  private async advanceOne(version: number): Promise<number> {
    const { maxAttempts, retryBaseMs } = this.options;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= maxAttempts;
      try {
        const result = await runBatch(this.ctx, version, { limit: 1, parkAfterAttempts: last ? attempt : undefined });
        const left = (this.isolating.get(version) ?? 1) - 1;
        if (result.kind === 'applied' && left > 0) this.isolating.set(version, left);
        else this.isolating.delete(version);
        return await this.settle(version, result);
      } catch (err) {
        // Even parking failed: the database itself is in trouble; the loop backs off.
        if (last) throw err;
        await sleep(retryBaseMs * 4 ** (attempt - 1));
      }
    }
  }

  private async settle(version: number, result: BatchResult): Promise<number> {
    const { log, advanced } = this.deps;
    if (result.kind === 'applied' && result.parked) {
      log.warn({ projection: this.name, version, position: result.checkpoint.position }, 'projection parked an event it could not apply');
    }
    if (result.kind === 'applied' || (result.kind === 'caught-up' && result.promoted)) advanced.emit(`advanced:${this.name}`, version);
    if ((result.kind === 'applied' || result.kind === 'caught-up') && result.promoted) {
      log.info({ projection: this.name, version, retired: result.retired }, 'projection rebuilt: reads switched to the new version');
      await this.cleanUp();
    }
    return result.kind === 'applied' ? result.count : 0;
  }
}
