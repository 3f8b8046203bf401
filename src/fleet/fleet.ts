import type { Pool } from '../db/pool';
import type { Logger } from '../log';
import { claimExpired, listExecutors, recordRecovered, registerIncarnation, renewLease, setStatus, type Incarnation } from './leases';
import { recoverExecutors } from './recovery';

export interface FleetOptions {
  pool: Pool;
  me: Incarnation;
  /** A lease not renewed for this long is expired; renewed every quarter of it. */
  leaseMs: number;
  /** Take over dead executors' sagas and park crash-looping ones (orchestrating processes). */
  orchestrates: boolean;
  log: Logger;
  /** Our lease was taken over: stop taking work and exit. */
  onLeaseLost: () => void;
  /** A saga DBOS dead-lettered after too many recoveries: park it visibly. */
  quarantine: (sagaId: string, recoveryAttempts: number, occurrence: string) => Promise<void>;
}

/**
 * This process's membership of the fleet: a heartbeat lease, the takeover of
 * dead members' sagas, and the parking of sagas that crash every process that
 * runs them. Every process runs one; see migrations/007_fleet.sql.
 *
 * Takeover is cautious in one way: a process claims others only after it has
 * itself renewed without a gap for a whole lease. A process that was cut off
 * from the database (a PostgreSQL restart) does not, on reconnecting, take
 * over peers that were cut off just the same and are about to renew.
 */
export class Fleet {
  /** Workflows this process took over from dead executors. */
  recovered = 0;
  /** Executors this process took over. */
  takeovers = 0;
  private timer?: NodeJS.Timeout;
  private healthySince?: number;
  private quarantineCursor = 0;
  private stopped = false;
  private beating?: Promise<void>;

  constructor(private readonly options: FleetOptions) {}

  /** The fleet as this process sees it: every executor's lease and running sagas, and what this process took over. */
  async snapshot() {
    return {
      self: this.options.me.executorId,
      leaseMs: this.options.leaseMs,
      takeovers: this.takeovers,
      workflowsRecovered: this.recovered,
      executors: await listExecutors(this.options.pool),
    };
  }

  async start(): Promise<void> {
    await registerIncarnation(this.options.pool, this.options.me, this.options.leaseMs);
    this.healthySince = Date.now();
    this.schedule();
  }

  /** One heartbeat; `beating` lets release() wait for one in flight. */
  private async beat(): Promise<void> {
    this.beating ??= this.beatOnce().finally(() => (this.beating = undefined));
    return this.beating;
  }

  /** Graceful shutdown, first half: still ours, taking no new work. */
  async drain(): Promise<void> {
    await setStatus(this.options.pool, this.options.me, 'draining').catch(() => {});
  }

  /** Graceful shutdown, second half: our pending sagas are free for others at once. */
  async release(): Promise<void> {
    this.stop();
    await this.beating;
    await setStatus(this.options.pool, this.options.me, 'released');
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.beat().finally(() => this.schedule()), this.options.leaseMs / 4);
    this.timer.unref();
  }

  private async beatOnce(): Promise<void> {
    const { pool, me, leaseMs, log, orchestrates } = this.options;
    let ours: boolean;
    try {
      ours = await renewLease(pool, me, leaseMs);
    } catch (err) {
      // Cut off from the database: try again next beat; takeover waits until we are healthy again.
      this.healthySince = undefined;
      log.warn({ err: (err as Error).message }, 'fleet: lease renewal failed');
      return;
    }
    if (!ours) {
      if (this.stopped) return;
      this.stop();
      log.error({ executorId: me.executorId }, 'fleet: this process lost its lease (taken over): it stops taking work and exits');
      this.options.onLeaseLost();
      return;
    }
    this.healthySince ??= Date.now();
    if (!orchestrates || Date.now() - this.healthySince < leaseMs) return;
    try {
      await this.takeOver();
      await this.parkCrashLoops();
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'fleet: takeover round failed');
    }
  }

  private async takeOver(): Promise<void> {
    const { pool, me, log } = this.options;
    for (const dead of await claimExpired(pool, me.executorId, me.applicationVersion)) {
      const workflows = await recoverExecutors([dead]);
      await recordRecovered(pool, dead, workflows.length);
      this.takeovers++;
      this.recovered += workflows.length;
      log.info({ deadExecutor: dead, workflows: workflows.length }, 'fleet: took over a dead executor');
    }
  }

  /** DBOS dead-letters a workflow whose recoveries exceeded its limit; such a saga is parked for an operator. */
  private async parkCrashLoops(): Promise<void> {
    const { rows } = await this.options.pool.query<{ workflow_uuid: string; recovery_attempts: number; updated_at: number }>(
      `SELECT workflow_uuid, recovery_attempts::int, updated_at FROM dbos.workflow_status
        WHERE status = 'MAX_RECOVERY_ATTEMPTS_EXCEEDED' AND name LIKE 'saga.%' AND updated_at >= $1
        ORDER BY updated_at LIMIT 100`,
      [this.quarantineCursor],
    );
    for (const row of rows) {
      await this.options.quarantine(row.workflow_uuid, row.recovery_attempts, String(row.updated_at));
      this.quarantineCursor = Math.max(this.quarantineCursor, Number(row.updated_at));
    }
  }
}
