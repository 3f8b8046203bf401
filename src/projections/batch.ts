import type { Pool, PoolClient } from '../db/pool';
import { inTransaction } from '../db/pool';
import type { Checkpoint, EventStore } from '../eventstore';
import { advanceCheckpoint, claimLease, lockVersion, promoteToLive, type VersionRow } from './checkpoints';
import { parkEvent } from './dead-letters';
import type { Projection } from './projection';

export interface BatchContext {
  pool: Pool;
  store: EventStore;
  projection: Projection;
  owner: string;
  leaseTtlMs: number;
}

/** `promoted`: a rebuilding version reached the end of the feed and now serves reads. */
export type BatchResult =
  | { kind: 'applied'; count: number; checkpoint: Checkpoint; parked: boolean; promoted: boolean; retired?: number }
  /** Nothing left to read. */
  | { kind: 'caught-up'; promoted: boolean; retired?: number }
  /** Another process holds the lease, or is busy with this version right now. */
  | { kind: 'not-owner' }
  | { kind: 'retired' };

export interface BatchOptions {
  limit: number;
  /**
   * The last attempt at one event (the limit becomes 1): if applying it
   * throws, park it in the same transaction and move the checkpoint past it.
   * Without this, errors propagate and nothing commits.
   */
  parkAfterAttempts?: number;
}

/**
 * One transaction: lock the version's row, take or renew the lease, read the
 * feed after its checkpoint, apply, advance the checkpoint. Either all of it
 * commits or none: an event is applied once per version, whoever runs it.
 */
export async function runBatch(ctx: BatchContext, version: number, options: BatchOptions): Promise<BatchResult> {
  const { projection, owner } = ctx;
  return inTransaction(ctx.pool, async (tx): Promise<BatchResult> => {
    const row = await lockVersion(tx, projection.name, version);
    if (!row) return { kind: 'not-owner' };
    if (row.status === 'retired') return { kind: 'retired' };
    if (row.leaseOwner !== owner && row.leaseHeld) return { kind: 'not-owner' };
    // Renewing on every batch would write the row at each idle poll; halfway through is enough.
    if (row.leaseOwner !== owner || row.leaseRemainingMs < ctx.leaseTtlMs / 2) await claimLease(tx, row, owner, ctx.leaseTtlMs);

    const limit = options.parkAfterAttempts === undefined ? options.limit : 1;
    const events = await ctx.store.readAll(row.checkpoint, limit, tx);
    // Fewer events than asked for: this batch reaches the end of the feed as of
    // now. Waiting for an empty read instead could wait forever under steady writes.
    const switchIfRebuilt = () => promoteIfRebuilt(tx, row, events.length < limit);
    if (events.length === 0) return { kind: 'caught-up', ...(await switchIfRebuilt()) };

    let parked = false;
    if (options.parkAfterAttempts === undefined) {
      await projection.apply(tx, version, events);
    } else {
      await tx.query('SAVEPOINT apply');
      try {
        await projection.apply(tx, version, events);
        await tx.query('RELEASE SAVEPOINT apply');
      } catch (err) {
        await tx.query('ROLLBACK TO SAVEPOINT apply');
        await parkEvent(tx, projection.name, version, events[0], err, options.parkAfterAttempts);
        parked = true;
      }
    }
    const last = events[events.length - 1];
    const checkpoint = { txid: last.txid, position: last.globalPosition };
    await advanceCheckpoint(tx, projection.name, version, checkpoint);
    return { kind: 'applied', count: events.length, checkpoint, parked, ...(await switchIfRebuilt()) };
  });
}

/** A rebuilding version that has reached the end of the feed takes over reads, in this transaction. */
async function promoteIfRebuilt(tx: PoolClient, row: VersionRow, reachedEnd: boolean): Promise<{ promoted: boolean; retired?: number }> {
  if (!reachedEnd || row.status !== 'rebuilding') return { promoted: false };
  return { promoted: true, retired: await promoteToLive(tx, row.name, row.version) };
}
