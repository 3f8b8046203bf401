import type { Pool } from '../db/pool';
import { inTransaction } from '../db/pool';
import type { Checkpoint, EventStore } from '../eventstore';
import { advanceCheckpoint, claimLease, lockVersion, promoteToLive } from './checkpoints';
import { parkEvent } from './dead-letters';
import type { Projection } from './projection';

export interface BatchContext {
  pool: Pool;
  store: EventStore;
  projection: Projection;
  owner: string;
  leaseTtlMs: number;
}

export type BatchResult =
  | { kind: 'applied'; count: number; checkpoint: Checkpoint; parked: boolean }
  /** Nothing left to read; a rebuilding version has just become live when `promoted`. */
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
    if (events.length === 0) {
      if (row.status !== 'rebuilding') return { kind: 'caught-up', promoted: false };
      const retired = await promoteToLive(tx, projection.name, version);
      return { kind: 'caught-up', promoted: true, retired };
    }

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
    return { kind: 'applied', count: events.length, checkpoint, parked };
  });
}
