import type { PoolClient } from '../db/pool';
import type { Checkpoint, Queryable } from '../eventstore';
import { START } from '../eventstore';

/** `process_manager_checkpoints` (migrations/005): one row per process manager. */

export async function ensureCheckpoint(db: Queryable, name: string): Promise<void> {
  await db.query('INSERT INTO process_manager_checkpoints (name) VALUES ($1) ON CONFLICT DO NOTHING', [name]);
}

export async function readCheckpoint(db: Queryable, name: string): Promise<Checkpoint> {
  const { rows } = await db.query<{ txid: string; position: number }>(
    'SELECT txid::text AS txid, position FROM process_manager_checkpoints WHERE name = $1',
    [name],
  );
  return rows[0] ?? START;
}

export async function advanceCheckpoint(tx: PoolClient, name: string, to: Checkpoint): Promise<void> {
  await tx.query('UPDATE process_manager_checkpoints SET txid = $2::xid8, position = $3, updated_at = now() WHERE name = $1', [
    name,
    to.txid,
    to.position,
  ]);
}

// Advisory locks in the two-int4 form do not collide with the single-bigint
// keys used elsewhere (the migration lock); the first int names "process manager".
const LOCK_CLASS = 0x5a6a_0005;

/**
 * Only one process at a time handles a process manager's next batch: a
 * transaction-scoped advisory lock, released by commit, rollback or a dropped
 * connection, so a dead process never holds it. It takes no transaction id, so
 * holding it does not hold back the gap-safe feed for other readers.
 */
export async function tryLock(tx: PoolClient, name: string): Promise<boolean> {
  const { rows } = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS ok', [LOCK_CLASS, name]);
  return rows[0].ok;
}
