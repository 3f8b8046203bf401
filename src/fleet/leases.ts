import type { Queryable } from '../eventstore';

/**
 * The lease rows of the fleet (migrations/007_fleet.sql), one function per
 * operation. Times are the database's (`now()`), so processes on machines
 * whose clocks disagree still agree on who has expired.
 */
export interface Incarnation {
  executorId: string;
  incarnation: string;
  applicationVersion: string;
  role: 'orchestrator' | 'read-side' | 'both';
  host: string;
  pid: number;
  port?: number;
}

export type ExecutorStatus = 'live' | 'draining' | 'released' | 'taken_over';

export interface ExecutorRow {
  executorId: string;
  incarnation: string;
  applicationVersion: string;
  role: string;
  host: string;
  pid: number;
  port: number | null;
  status: ExecutorStatus;
  startedAt: Date;
  heartbeatAt: Date;
  leaseExpiresAt: Date;
  takenOverBy: string | null;
  takenOverAt: Date | null;
  workflowsRecovered: number;
}

/** Start (or, under the same executor id, take over) this process's row. */
export async function registerIncarnation(db: Queryable, me: Incarnation, leaseMs: number): Promise<void> {
  await db.query(
    `INSERT INTO fleet_executors (executor_id, incarnation, application_version, role, host, pid, port, status, lease_expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'live', now() + $8 * interval '1 millisecond')
     ON CONFLICT (executor_id) DO UPDATE SET
       incarnation = EXCLUDED.incarnation, application_version = EXCLUDED.application_version, role = EXCLUDED.role,
       host = EXCLUDED.host, pid = EXCLUDED.pid, port = EXCLUDED.port, status = 'live', started_at = now(),
       heartbeat_at = now(), lease_expires_at = EXCLUDED.lease_expires_at,
       taken_over_by = NULL, taken_over_at = NULL, workflows_recovered = 0`,
    [me.executorId, me.incarnation, me.applicationVersion, me.role, me.host, me.pid, me.port ?? null, leaseMs],
  );
}

/** Renew the lease; false when the row is no longer ours (taken over, or a newer incarnation). */
export async function renewLease(db: Queryable, me: Incarnation, leaseMs: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE fleet_executors SET heartbeat_at = now(), lease_expires_at = now() + $3 * interval '1 millisecond'
      WHERE executor_id = $1 AND incarnation = $2 AND status IN ('live', 'draining')`,
    [me.executorId, me.incarnation, leaseMs],
  );
  return rowCount === 1;
}

export async function setStatus(db: Queryable, me: Incarnation, status: 'draining' | 'released'): Promise<void> {
  await db.query(`UPDATE fleet_executors SET status = $3 WHERE executor_id = $1 AND incarnation = $2 AND status IN ('live', 'draining')`, [
    me.executorId,
    me.incarnation,
    status,
  ]);
}

/**
 * Claim every executor of `applicationVersion` whose lease expired or was
 * released. One UPDATE: a row locked by another claimer is skipped, and the
 * condition is checked again on the locked row, so each dead executor is
 * claimed by exactly one process, and never while its owner renews.
 */
export async function claimExpired(db: Queryable, claimer: string, applicationVersion: string): Promise<string[]> {
  const { rows } = await db.query<{ executor_id: string }>(
    `UPDATE fleet_executors SET status = 'taken_over', taken_over_by = $1, taken_over_at = now()
      WHERE executor_id IN (
              SELECT executor_id FROM fleet_executors
               WHERE executor_id <> $1 AND application_version = $2
                 AND (status = 'released' OR (status IN ('live', 'draining') AND lease_expires_at < now()))
               FOR UPDATE SKIP LOCKED)
        AND (status = 'released' OR lease_expires_at < now())
      RETURNING executor_id`,
    [claimer, applicationVersion],
  );
  return rows.map((r) => r.executor_id);
}

export async function recordRecovered(db: Queryable, executorId: string, workflows: number): Promise<void> {
  await db.query('UPDATE fleet_executors SET workflows_recovered = workflows_recovered + $2 WHERE executor_id = $1', [executorId, workflows]);
}

/** Every executor the fleet has seen, newest first, with the number of sagas each runs now. */
export async function listExecutors(db: Queryable): Promise<(ExecutorRow & { runningSagas: number; leaseValid: boolean })[]> {
  const { rows } = await db.query(
    `SELECT f.executor_id AS "executorId", f.incarnation, f.application_version AS "applicationVersion", f.role, f.host, f.pid,
            f.port, f.status, f.started_at AS "startedAt", f.heartbeat_at AS "heartbeatAt",
            f.lease_expires_at AS "leaseExpiresAt", f.taken_over_by AS "takenOverBy", f.taken_over_at AS "takenOverAt",
            f.workflows_recovered AS "workflowsRecovered", f.lease_expires_at > now() AS "leaseValid",
            (SELECT count(*)::int FROM dbos.workflow_status w
              WHERE w.executor_id = f.executor_id AND w.status = 'PENDING' AND w.name LIKE 'saga.%') AS "runningSagas"
       FROM fleet_executors f ORDER BY f.started_at DESC LIMIT 200`,
  );
  return rows;
}
