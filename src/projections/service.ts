import { EventEmitter } from 'node:events';
import type { Pool } from '../db/pool';
import type { AppendNotifier, EventStore } from '../eventstore';
import type { Logger } from '../log';
import { activeVersions, ensureProjection, startRebuild, type RebuildStarted } from './checkpoints';
import { listDeadLetters, replayDeadLetter, type DeadLetter, type ReplayResult } from './dead-letters';
import type { Projection } from './projection';
import { ProjectionRunner, type RunnerOptions } from './runner';
import { projectionStatuses, waitForPosition, type ProjectionStatus } from './status';

export interface ProjectionsOptions extends Partial<Omit<RunnerOptions, 'owner'>> {
  owner: string;
  projections: Projection[];
  notifier?: AppendNotifier;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
}

const DEFAULTS: Omit<RunnerOptions, 'owner'> = {
  batchSize: 500,
  leaseTtlMs: 10_000,
  minPollMs: 50,
  maxPollMs: 500,
  maxAttempts: 3,
  retryBaseMs: 100,
};

/** The longest a read-your-writes wait may take. */
export const MAX_READ_WAIT_MS = 5_000;

export class ProjectionNotFoundError extends Error {
  readonly code = 'PROJECTION_NOT_FOUND';
  constructor(name: string) {
    super(`no projection named ${name}`);
  }
}

/**
 * The read side of one process: a runner per projection, and what the HTTP
 * API, the CLI, metrics and the console ask about projections.
 */
export class Projections {
  /** `advanced:<name>` after every commit of a runner in this process. */
  readonly advanced = new EventEmitter().setMaxListeners(0);
  private readonly runners = new Map<string, ProjectionRunner>();
  private readonly byName: Map<string, Projection>;

  constructor(
    private readonly pool: Pool,
    private readonly store: EventStore,
    private readonly options: ProjectionsOptions,
  ) {
    this.byName = new Map(options.projections.map((p) => [p.name, p]));
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  get(name: string): Projection {
    const projection = this.byName.get(name);
    if (!projection) throw new ProjectionNotFoundError(name);
    return projection;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** ensure(), then follow the feed. */
  async start(): Promise<void> {
    if (this.runners.size > 0) return;
    await this.ensure();
    const { owner, notifier, log, projections: _all, ...tuning } = this.options;
    for (const projection of this.byName.values()) {
      const runner = new ProjectionRunner(
        { pool: this.pool, store: this.store, projection, notifier, advanced: this.advanced, log },
        { ...DEFAULTS, ...tuning, owner },
      );
      this.runners.set(projection.name, runner.start());
    }
  }

  /** Create missing projections (live from position zero); rebuild those whose live version was built by older rules. */
  async ensure(): Promise<void> {
    for (const projection of this.byName.values()) {
      await ensureProjection(this.pool, projection.name, projection.rulesVersion);
      const versions = await activeVersions(this.pool, projection.name);
      const live = versions.find((v) => v.status === 'live');
      if (live && live.rulesVersion < projection.rulesVersion && !versions.some((v) => v.status === 'rebuilding')) {
        this.options.log.info({ projection: projection.name, from: live.rulesVersion, to: projection.rulesVersion }, 'projection rules changed: rebuilding');
        await startRebuild(this.pool, projection.name, projection.rulesVersion);
      }
    }
  }

  /** Stops the runners and hands their leases over (unless told to leave them, as a crash would). */
  async stop(options: { releaseLeases?: boolean } = {}): Promise<void> {
    await Promise.all([...this.runners.values()].map((r) => r.stop(options)));
    this.runners.clear();
  }

  status(name?: string): Promise<ProjectionStatus[]> {
    return projectionStatuses(this.pool, name);
  }

  /** Lag and parked count of each live version, in the shape metrics read. */
  async lagReport(): Promise<{ name: string; version: number; position: number; lagEvents: number; lagMs: number; parked: number }[]> {
    return (await this.status())
      .filter((s) => s.status === 'live')
      .map((s) => ({ name: s.name, version: s.version, position: s.checkpoint.position, lagEvents: s.lag.events, lagMs: s.lag.ms, parked: s.parked }));
  }

  /** The newest position written so far: no write ever returned a larger one. */
  async head(): Promise<number> {
    return (await this.store.head()).position;
  }

  /** True once the live version of `name` has applied the event at `position`; false after `timeoutMs`. */
  waitForPosition(name: string, position: number, timeoutMs = MAX_READ_WAIT_MS): Promise<boolean> {
    this.get(name);
    return waitForPosition(this.pool, name, position, timeoutMs, this.advanced);
  }

  /** Every projection has applied everything committed so far (tests, benchmarks). */
  async waitForCaughtUp(timeoutMs = 10_000): Promise<boolean> {
    const { position } = await this.store.head();
    const reached = await Promise.all(this.names.map((name) => this.waitForPosition(name, position, timeoutMs)));
    return reached.every(Boolean);
  }

  /** Start building a new version beside the live one; the runners switch reads when it has caught up. */
  async rebuild(name: string): Promise<RebuildStarted> {
    const projection = this.get(name);
    const started = await startRebuild(this.pool, name, projection.rulesVersion);
    this.runners.get(name)?.wake();
    return started;
  }

  deadLetters(name: string, options: { includeReplayed?: boolean; limit?: number } = {}): Promise<DeadLetter[]> {
    this.get(name);
    return listDeadLetters(this.pool, name, options);
  }

  /** Replay a parked event; an empty list when nothing is parked at that position. */
  replay(name: string, position: number): Promise<ReplayResult[]> {
    return replayDeadLetter(this.pool, this.store, this.get(name), position);
  }
}
