import type { Pool, PoolClient } from '../db/pool';
import { inTransaction } from '../db/pool';
import type { Checkpoint, Queryable } from '../eventstore';
import type { ConsumerKind, Write } from './consumer';

/**
 * `consumer_checkpoints` (migrations/004, 010): one row per version of a
 * consumer, with its checkpoint, status (live, rebuilding, retired) and lease.
 * Only projections ever have more than one version.
 */
export type VersionStatus = 'live' | 'rebuilding' | 'retired';

/** A version of a consumer this process holds the lease of, as the claim returned it. */
export interface OwnedVersion {
  name: string;
  version: number;
  status: Exclude<VersionStatus, 'retired'>;
  checkpoint: Checkpoint;
  fence: number;
}

/** The first version of a consumer, live from the start (it fills as it catches up). */
export async function ensureConsumer(db: Queryable, name: string, kind: ConsumerKind, rulesVersion: number): Promise<void> {
  await db.query(
    `INSERT INTO consumer_checkpoints (name, version, kind, rules_version, status, live_since)
     SELECT $1, 1, $2, $3, 'live', now() WHERE NOT EXISTS (SELECT 1 FROM consumer_checkpoints WHERE name = $1)
     ON CONFLICT DO NOTHING`,
    [name, kind, rulesVersion],
  );
}

const secs = (param: string) => `make_interval(secs => ${param}::float8 / 1000)`;

/**
 * Take every lease that is ours, free or expired (by the database's clock),
 * for the given consumers and rules versions, and renew ours. The fence goes
 * up whenever the owner changes, so a process that lost a lease while it was
 * paused finds its next checkpoint write refused. Returns what we now own.
 */
export async function claimLeases(db: Queryable, owner: string, ttlMs: number, consumers: { name: string; rulesVersion: number }[]): Promise<OwnedVersion[]> {
  const { rows } = await db.query<{ name: string; version: number; status: OwnedVersion['status']; txid: string; position: number; fence: number }>(
    `UPDATE consumer_checkpoints c
        SET lease_fence = c.lease_fence + CASE WHEN c.lease_owner IS DISTINCT FROM $1 THEN 1 ELSE 0 END,
            lease_owner = $1, lease_expires_at = now() + ${secs('$2')}
       FROM unnest($3::text[], $4::int[]) AS m(name, rules_version)
      WHERE c.name = m.name AND c.rules_version = m.rules_version AND c.status <> 'retired'
        AND (c.lease_owner = $1 OR c.lease_owner IS NULL OR c.lease_expires_at <= now())
      RETURNING c.name, c.version, c.status, c.txid::text AS txid, c.position, c.lease_fence AS fence`,
    [owner, ttlMs, consumers.map((c) => c.name), consumers.map((c) => c.rulesVersion)],
  );
  return rows.map((r) => ({ name: r.name, version: r.version, status: r.status, checkpoint: { txid: r.txid, position: r.position }, fence: r.fence }));
}

export class LeaseLostError extends Error {
  readonly code = 'LEASE_LOST';
}

export interface CheckpointMove {
  name: string;
  version: number;
  fence: number;
  from: Checkpoint;
  to: Checkpoint;
}

/**
 * Advance several checkpoints in one statement, each only if this process
 * still holds its lease under the same fence and nobody moved it meanwhile
 * (compare-and-set), and renew those leases. `writes` (the consumers' rows)
 * join the same statement, so they commit with the moves or not at all,
 * without a transaction around them. Throws LeaseLostError when any move was
 * refused; inside a caller's transaction, the caller's writes roll back too.
 */
export async function advanceCheckpoints(db: Queryable, owner: string, ttlMs: number, moves: CheckpointMove[], writes: Write[] = []): Promise<void> {
  if (moves.length === 0 && writes.length === 0) return;
  const values: unknown[] = [
    owner,
    ttlMs,
    moves.map((m) => m.name),
    moves.map((m) => m.version),
    moves.map((m) => m.fence),
    moves.map((m) => m.from.txid),
    moves.map((m) => m.from.position),
    moves.map((m) => m.to.txid),
    moves.map((m) => m.to.position),
  ];
  const move = `UPDATE consumer_checkpoints c
        SET txid = v.to_txid::xid8, position = v.to_position, updated_at = now(), lease_expires_at = now() + ${secs('$2')}
       FROM unnest($3::text[], $4::int[], $5::bigint[], $6::text[], $7::bigint[], $8::text[], $9::bigint[])
            AS v(name, version, fence, from_txid, from_position, to_txid, to_position)
      WHERE c.name = v.name AND c.version = v.version AND c.lease_owner = $1 AND c.lease_fence = v.fence
        AND c.txid = v.from_txid::xid8 AND c.position = v.from_position`;
  if (writes.length === 0) {
    const { rowCount } = await db.query(move, values);
    if (rowCount !== moves.length) throw new LeaseLostError(`${moves.length - (rowCount ?? 0)} of ${moves.length} consumer leases were lost`);
    return;
  }
  const ctes = writes.map((w, i) => {
    const offset = values.length;
    values.push(...w.values);
    return `w${i} AS (${w.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)})`;
  });
  values.push(moves.length);
  try {
    await db.query(`WITH ${ctes.join(',\n')},\nmoved AS (${move} RETURNING 1)\nSELECT consumer_moves_applied((SELECT count(*) FROM moved), $${values.length})`, values);
  } catch (err) {
    if ((err as { code?: string }).code === LEASE_LOST) throw new LeaseLostError((err as Error).message);
    throw err;
  }
}

/** What consumer_moves_applied (migrations/011) raises. */
const LEASE_LOST = 'CL409';

/** Graceful stop: hand the leases over at once instead of after their expiry. */
export async function releaseLeases(db: Queryable, owner: string, names: string[]): Promise<void> {
  await db.query(`UPDATE consumer_checkpoints SET lease_owner = NULL, lease_expires_at = NULL WHERE name = ANY($1) AND lease_owner = $2`, [
    names,
    owner,
  ]);
}

/**
 * Raise a version's fence (keeping its owner), locking its row until the
 * transaction ends. A replay does this before it writes the consumer's rows:
 * the owner's round that read those rows earlier has its move refused, so it
 * rolls back and reads them again, and the owner drops its cached rows.
 */
export async function raiseFence(tx: PoolClient, name: string, version: number): Promise<void> {
  await tx.query(`UPDATE consumer_checkpoints SET lease_fence = lease_fence + 1 WHERE name = $1 AND version = $2`, [name, version]);
}

export interface VersionInfo {
  version: number;
  status: VersionStatus;
  rulesVersion: number;
}

export async function versionsOf(db: Queryable, name: string): Promise<VersionInfo[]> {
  const { rows } = await db.query<{ version: number; status: VersionStatus; rules_version: number }>(
    `SELECT version, status, rules_version FROM consumer_checkpoints WHERE name = $1 ORDER BY version`,
    [name],
  );
  return rows.map((r) => ({ version: r.version, status: r.status, rulesVersion: r.rules_version }));
}

export interface RebuildStarted {
  version: number;
  /** False when a rebuild was already under way (that one is returned). */
  started: boolean;
}

/** Add a version that builds from position zero beside the live one. */
export async function startRebuild(pool: Pool, name: string, kind: ConsumerKind, rulesVersion: number): Promise<RebuildStarted> {
  return inTransaction(pool, async (tx) => {
    // Two callers at once must not both add a version.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`consumer-rebuild:${name}`]);
    const rows = await versionsOf(tx, name);
    const running = rows.find((r) => r.status === 'rebuilding');
    if (running) return { version: running.version, started: false };
    const version = Math.max(0, ...rows.map((r) => r.version)) + 1;
    await tx.query(`INSERT INTO consumer_checkpoints (name, version, kind, rules_version, status) VALUES ($1, $2, $3, $4, 'rebuilding')`, [
      name,
      version,
      kind,
      rulesVersion,
    ]);
    return { version, started: true };
  });
}

/**
 * Back to position zero, in place (consumers without versions: a process
 * manager reacts again, idempotently; the outbox republishes). The fence goes
 * up, so a batch in flight cannot move the checkpoint forward again.
 */
export async function resetCheckpoint(db: Queryable, name: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE consumer_checkpoints SET txid = '0', position = 0, updated_at = now(), lease_fence = lease_fence + 1,
            lease_owner = NULL, lease_expires_at = NULL
      WHERE name = $1 AND status = 'live'`,
    [name],
  );
  return rowCount === 1;
}

/**
 * Switch reads to `version` and retire the live one, in the caller's
 * transaction. Returns the retired version.
 */
export async function promoteToLive(tx: PoolClient, name: string, version: number): Promise<number | undefined> {
  // Waits for the live version's batch in progress, so nothing is written to it after it retires.
  const { rows } = await tx.query<{ version: number }>(`SELECT version FROM consumer_checkpoints WHERE name = $1 AND status = 'live' FOR UPDATE`, [
    name,
  ]);
  const retired = rows[0]?.version;
  await tx.query(
    `UPDATE consumer_checkpoints SET status = 'retired', retired_at = now(), lease_owner = NULL, lease_expires_at = NULL
      WHERE name = $1 AND status = 'live'`,
    [name],
  );
  await tx.query(`UPDATE consumer_checkpoints SET status = 'live', live_since = now() WHERE name = $1 AND version = $2`, [name, version]);
  return retired;
}

export async function retiredUncleaned(db: Queryable, name: string): Promise<number[]> {
  const { rows } = await db.query<{ version: number }>(
    `SELECT version FROM consumer_checkpoints WHERE name = $1 AND status = 'retired' AND cleaned_at IS NULL`,
    [name],
  );
  return rows.map((r) => r.version);
}

export async function markCleaned(db: Queryable, name: string, version: number): Promise<void> {
  await db.query(`DELETE FROM consumer_dead_letters WHERE consumer = $1 AND version = $2`, [name, version]);
  await db.query(`UPDATE consumer_checkpoints SET cleaned_at = now() WHERE name = $1 AND version = $2`, [name, version]);
}
