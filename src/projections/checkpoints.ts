import type { Pool, PoolClient } from '../db/pool';
import { inTransaction } from '../db/pool';
import type { Checkpoint, Queryable } from '../eventstore';

/**
 * The rows of `projection_checkpoints`: one per version of a projection, with
 * its checkpoint, its status (live, rebuilding, retired) and its lease.
 */
export type VersionStatus = 'live' | 'rebuilding' | 'retired';

export interface VersionRow {
  name: string;
  version: number;
  rulesVersion: number;
  status: VersionStatus;
  checkpoint: Checkpoint;
  leaseOwner: string | null;
  /** The lease is owned and has not expired (by the database's clock). */
  leaseHeld: boolean;
  leaseRemainingMs: number;
  leaseFence: number;
}

const COLUMNS = `name, version, rules_version, status, txid::text AS txid, position, lease_owner, lease_fence,
  coalesce(lease_expires_at > now(), false) AS lease_held,
  coalesce(extract(epoch FROM lease_expires_at - now()) * 1000, 0)::float8 AS lease_remaining_ms`;

interface Row {
  name: string;
  version: number;
  rules_version: number;
  status: VersionStatus;
  txid: string;
  position: number;
  lease_owner: string | null;
  lease_fence: number;
  lease_held: boolean;
  lease_remaining_ms: number;
}

const toVersionRow = (r: Row): VersionRow => ({
  name: r.name,
  version: r.version,
  rulesVersion: r.rules_version,
  status: r.status,
  checkpoint: { txid: r.txid, position: r.position },
  leaseOwner: r.lease_owner,
  leaseHeld: r.lease_held,
  leaseRemainingMs: r.lease_remaining_ms,
  leaseFence: r.lease_fence,
});

/** A subquery for the live version of a projection, so a read sees one version in one statement. */
export function liveVersionOf(name: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new RangeError(`invalid projection name ${name}`);
  return `(SELECT version FROM projection_checkpoints WHERE name = '${name}' AND status = 'live')`;
}

/** The first version of a projection, live from the start (it fills as it catches up). */
export async function ensureProjection(db: Queryable, name: string, rulesVersion: number): Promise<void> {
  await db.query(
    `INSERT INTO projection_checkpoints (name, version, rules_version, status, live_since)
     SELECT $1, 1, $2, 'live', now() WHERE NOT EXISTS (SELECT 1 FROM projection_checkpoints WHERE name = $1)
     ON CONFLICT DO NOTHING`,
    [name, rulesVersion],
  );
}

/**
 * The versions being served or built, with `pending`: whether the feed has
 * anything for them. A plain read, without locks or a transaction id: idle
 * polling must not hold back the feed of every other reader (the feed waits
 * for all older transactions), so the runner only locks when there is work.
 */
export async function activeVersions(db: Queryable, name: string): Promise<(VersionRow & { pending: boolean })[]> {
  const { rows } = await db.query<Row & { pending: boolean }>(
    `SELECT ${COLUMNS},
            -- The next event in feed order, visible or not, is one index probe;
            -- filtering on visibility inside the subquery made Postgres scan.
            coalesce((SELECT e.txid < pg_snapshot_xmin(pg_current_snapshot()) FROM events e
                       WHERE (e.txid, e.global_position) > (c.txid, c.position)
                       ORDER BY e.txid, e.global_position LIMIT 1), false) AS pending
       FROM projection_checkpoints c WHERE name = $1 AND status <> 'retired' ORDER BY version`,
    [name],
  );
  return rows.map((r) => ({ ...toVersionRow(r), pending: r.pending }));
}

/**
 * Lock a version's row for this transaction. Every write to a version's read
 * model happens under this lock, and the checkpoint is read under it, so two
 * writers take turns and the second starts where the first stopped. SKIP
 * LOCKED: if someone is busy with it, there is nothing for us to do now.
 */
export async function lockVersion(tx: PoolClient, name: string, version: number, wait = false): Promise<VersionRow | undefined> {
  const { rows } = await tx.query<Row>(
    `SELECT ${COLUMNS} FROM projection_checkpoints WHERE name = $1 AND version = $2 FOR UPDATE ${wait ? '' : 'SKIP LOCKED'}`,
    [name, version],
  );
  return rows[0] && toVersionRow(rows[0]);
}

/** Take or renew the lease (the row is locked); the fence goes up when the owner changes. */
export async function claimLease(tx: PoolClient, row: VersionRow, owner: string, ttlMs: number): Promise<void> {
  await tx.query(
    `UPDATE projection_checkpoints
        SET lease_owner = $3, lease_expires_at = now() + make_interval(secs => $4::float8 / 1000),
            lease_fence = lease_fence + CASE WHEN lease_owner IS DISTINCT FROM $3 THEN 1 ELSE 0 END
      WHERE name = $1 AND version = $2`,
    [row.name, row.version, owner, ttlMs],
  );
}

export async function advanceCheckpoint(tx: PoolClient, name: string, version: number, to: Checkpoint): Promise<void> {
  await tx.query(
    `UPDATE projection_checkpoints SET txid = $3::xid8, position = $4, updated_at = now() WHERE name = $1 AND version = $2`,
    [name, version, to.txid, to.position],
  );
}

/** Graceful stop: hand the leases over at once instead of after their expiry. */
export async function releaseLeases(db: Queryable, owner: string, name: string): Promise<void> {
  await db.query(
    `UPDATE projection_checkpoints SET lease_owner = NULL, lease_expires_at = NULL WHERE name = $1 AND lease_owner = $2`,
    [name, owner],
  );
}

export interface RebuildStarted {
  version: number;
  /** False when a rebuild was already under way (that one is returned). */
  started: boolean;
}

/** Add a version that builds from position zero beside the live one. */
export async function startRebuild(pool: Pool, name: string, rulesVersion: number): Promise<RebuildStarted> {
  return inTransaction(pool, async (tx) => {
    // Two callers at once must not both add a version.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`projection-rebuild:${name}`]);
    const { rows } = await tx.query<{ version: number; status: VersionStatus }>(
      `SELECT version, status FROM projection_checkpoints WHERE name = $1 ORDER BY version DESC`,
      [name],
    );
    const running = rows.find((r) => r.status === 'rebuilding');
    if (running) return { version: running.version, started: false };
    const version = (rows[0]?.version ?? 0) + 1;
    await tx.query(
      `INSERT INTO projection_checkpoints (name, version, rules_version, status) VALUES ($1, $2, $3, 'rebuilding')`,
      [name, version, rulesVersion],
    );
    return { version, started: true };
  });
}

/**
 * Switch reads to `version` (its row is locked by the caller) and retire the
 * live one, in the caller's transaction. Returns the retired version.
 */
export async function promoteToLive(tx: PoolClient, name: string, version: number): Promise<number | undefined> {
  // Waits for the live version's batch in progress, so nothing is written to it after it retires.
  const { rows } = await tx.query<{ version: number }>(
    `SELECT version FROM projection_checkpoints WHERE name = $1 AND status = 'live' FOR UPDATE`,
    [name],
  );
  const retired = rows[0]?.version;
  await tx.query(
    `UPDATE projection_checkpoints SET status = 'retired', retired_at = now(), lease_owner = NULL, lease_expires_at = NULL
      WHERE name = $1 AND status = 'live'`,
    [name],
  );
  await tx.query(`UPDATE projection_checkpoints SET status = 'live', live_since = now() WHERE name = $1 AND version = $2`, [
    name,
    version,
  ]);
  return retired;
}

export async function retiredUncleaned(db: Queryable, name: string): Promise<number[]> {
  const { rows } = await db.query<{ version: number }>(
    `SELECT version FROM projection_checkpoints WHERE name = $1 AND status = 'retired' AND cleaned_at IS NULL`,
    [name],
  );
  return rows.map((r) => r.version);
}

export async function markCleaned(db: Queryable, name: string, version: number): Promise<void> {
  await db.query(`DELETE FROM projection_dead_letters WHERE projection = $1 AND version = $2`, [name, version]);
  await db.query(`UPDATE projection_checkpoints SET cleaned_at = now() WHERE name = $1 AND version = $2`, [name, version]);
}
