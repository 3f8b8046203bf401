import type { EventEmitter } from 'node:events';
import type { Pool } from '../db/pool';
import { inTransaction } from '../db/pool';
import type { AppendNotifier, Checkpoint, RecordedEvent } from '../eventstore';
import type { Logger } from '../log';
import { advanceCheckpoints, claimLeases, LeaseLostError, promoteToLive, releaseLeases, type OwnedVersion } from './checkpoints';
import { checkpointOf, compareCheckpoints, type Consumer, type Write } from './consumer';
import { parkEvent } from './dead-letters';
import { nextFailure, type Failure } from './failure';
import type { FeedReader } from './feed';
import { PollLoop } from './poll-loop';
import { RowCache } from './row-cache';

export interface GroupOptions {
  /** Lease owner: the process's executor id (unique per process, stable across its restarts). */
  owner: string;
  /** The most events one read takes. */
  batchSize: number;
  /** A crashed owner's lease is taken over after this long; leases are claimed and renewed every third of it. */
  leaseTtlMs: number;
  /** Idle polling backs off from min to max; a NOTIFY wakes the group at once. */
  minPollMs: number;
  maxPollMs: number;
  /** After a wake-up, wait this long, so the appends of many writers share one round. */
  coalesceMs: number;
  /** Attempts at an event that keeps failing before it is parked. */
  maxAttempts: number;
  retryBaseMs: number;
}

export interface GroupDeps {
  pool: Pool;
  feed: FeedReader;
  notifier?: AppendNotifier;
  /** Emits `advanced:<name>` after each checkpoint commit (read-your-writes waits listen). */
  advanced: EventEmitter;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Delete what a rebuild retired, after the switch. */
  cleanUp: (consumer: Consumer) => Promise<void>;
}

interface Slot extends OwnedVersion {
  consumer: Consumer;
  failure?: Failure;
  /** The consumer's rows as this lease wrote them; a new fence starts a new one. */
  cache: RowCache;
}

/** A read and its commit; `settle` runs once the round's transaction committed. */
interface Round {
  served: Slot[];
  reachedEnd: boolean;
  settle: (() => Promise<void>)[];
}

const keyOf = (s: { name: string; version: number }) => `${s.name}@${s.version}`;

/**
 * The consumers of one lane in one process, followed together: each round
 * reads the feed once from the lowest checkpoint and hands that batch to
 * every consumer it covers; their writes and their checkpoints' moves commit
 * in one statement. A round finds nothing → one read. A round that applies a
 * batch → one read, one write (plus a read of rows not cached yet).
 *
 * Ownership is a lease row per version (owner, expiry by the database clock,
 * fencing counter), claimed every third of its length. Correctness does not
 * rest on timing: a checkpoint only moves from the value this process read
 * under its fence (compare-and-set), so a process that lost its lease while
 * paused has its transaction refused, and nothing is applied twice.
 */
export class ConsumerGroup {
  private slots: Slot[] = [];
  private claimedAt = 0;
  /** The furthest feed position this group has read: an append announced at or before it is no news. */
  private readUpTo?: Checkpoint;
  private readonly loop: PollLoop;
  private readonly byName: Map<string, Consumer>;

  constructor(
    private readonly deps: GroupDeps,
    readonly consumers: Consumer[],
    private readonly options: GroupOptions,
  ) {
    this.byName = new Map(consumers.map((c) => [c.name, c]));
    this.loop = new PollLoop({
      tick: () => this.tick(),
      notifier: deps.notifier,
      minPollMs: options.minPollMs,
      maxPollMs: options.maxPollMs,
      coalesceMs: options.coalesceMs,
      isNews: (at) => !(at && this.readUpTo && compareCheckpoints(at, this.readUpTo) <= 0),
      onError: (err, failures) => deps.log.error({ err, consumers: [...this.byName.keys()], failures }, 'consumer round failed; retrying'),
    });
  }

  start(): this {
    this.loop.start();
    return this;
  }

  /** `releaseLeases: false` leaves the leases to expire, as a crash would (tests). */
  async stop(options: { releaseLeases?: boolean } = {}): Promise<void> {
    await this.loop.stop();
    if (options.releaseLeases !== false) await releaseLeases(this.deps.pool, this.options.owner, [...this.byName.keys()]).catch(() => {});
    this.slots = [];
  }

  /** Claim leases again at the next round (a rebuild added a version, a reset moved a checkpoint). */
  reclaim(): void {
    this.claimedAt = 0;
    this.loop.wake();
  }

  /** One round; returns more than 0 when another should follow at once (a full batch, a retry). */
  async tick(): Promise<number> {
    if (Date.now() - this.claimedAt >= this.options.leaseTtlMs / 3) await this.claim();
    let more = await this.serve(this.slots.filter((s) => !s.failure));
    const now = Date.now();
    for (const slot of this.slots.filter((s) => s.failure && s.failure.nextAt <= now)) more += await this.retry(slot);
    return more;
  }

  private async claim(): Promise<void> {
    const consumers = this.consumers.map((c) => ({ name: c.name, rulesVersion: c.rulesVersion }));
    const owned = await claimLeases(this.deps.pool, this.options.owner, this.options.leaseTtlMs, consumers);
    const before = new Map(this.slots.map((s) => [keyOf(s), s]));
    this.slots = owned.map((o) => {
      const held = before.get(keyOf(o));
      const cache = held && held.fence === o.fence ? held.cache : new RowCache();
      return { ...o, consumer: this.byName.get(o.name) as Consumer, failure: held?.failure, cache };
    });
    this.claimedAt = Date.now();
    const taken = this.slots.filter((s) => !before.has(keyOf(s))).map(keyOf);
    if (taken.length > 0) this.deps.log.info({ owner: this.options.owner, taken }, 'consumer leases taken');
  }

  /** Healthy versions: one read per distinct position, one commit per read. */
  private async serve(slots: Slot[]): Promise<number> {
    let pending = [...slots].sort((a, b) => compareCheckpoints(a.checkpoint, b.checkpoint));
    let more = 0;
    while (pending.length > 0) {
      let round: Round = { served: [], reachedEnd: true, settle: [] };
      try {
        round = await this.round(pending);
        for (const settle of round.settle) await settle();
      } catch (err) {
        this.failed(pending, err);
      }
      if (round.reachedEnd) break;
      more++;
      pending = pending.filter((s) => !round.served.includes(s));
    }
    return more;
  }

  /** Read after the lowest checkpoint and commit that batch for every version it covers. */
  private async round(pending: Slot[]): Promise<Round> {
    const { batchSize } = this.options;
    const events = await this.deps.feed.read(pending[0].checkpoint, batchSize);
    // Fewer than asked for: the end of the feed as of now. Waiting for an empty
    // read instead could wait forever under steady writes (rebuild switch).
    const reachedEnd = events.length < batchSize;
    if (events.length === 0 && !pending.some((s) => s.status === 'rebuilding')) return { served: [], reachedEnd, settle: [] };
    const end = events.length > 0 ? checkpointOf(events[events.length - 1]) : pending[0].checkpoint;
    if (events.length > 0 && (!this.readUpTo || compareCheckpoints(end, this.readUpTo) > 0)) this.readUpTo = end;
    const served = events.length > 0 ? pending.filter((s) => compareCheckpoints(s.checkpoint, end) < 0) : [];
    const caughtUpRebuilds = reachedEnd ? pending.filter((s) => s.status === 'rebuilding' && !served.includes(s)) : [];
    const settle = [];
    if (served.length > 0) settle.push(await this.commit(served, events, reachedEnd));
    if (caughtUpRebuilds.length > 0) settle.push(await this.commit(caughtUpRebuilds, [], true));
    return { served, reachedEnd, settle };
  }

  private failed(slots: Slot[], err: unknown): void {
    const leaseLost = err instanceof LeaseLostError;
    // The round's writes did not commit, so neither does what it set in the caches. A refused move
    // means someone else moved the checkpoint, and may have written the rows: start the cache anew.
    for (const slot of slots) {
      if (leaseLost) slot.cache = new RowCache();
      else slot.cache.discard();
    }
    if (err instanceof LeaseLostError) {
      this.deps.log.warn({ err: err.message }, 'consumer lease lost; claiming again');
      this.claimedAt = 0;
      return;
    }
    const names = slots.map(keyOf);
    // Several consumers shared the batch: first find which one fails, each alone.
    if (slots.length > 1) this.deps.log.warn({ err, consumers: names }, 'consumer batch failed; retrying each consumer alone');
    for (const slot of slots) {
      slot.failure = slots.length > 1 ? { attempts: 0, nextAt: 0, oneByOne: 0 } : this.nextFailure(slot, { attempts: 0, nextAt: 0, oneByOne: 0 }, err);
    }
  }

  /** After a failure alone: a batch goes one event at a time; one event backs off, then parks (or backs off for ever). */
  private nextFailure(slot: Slot, f: Failure, err: unknown): Failure {
    const next = nextFailure(f, { ...this.options, neverPark: slot.consumer.neverPark === true });
    const message = next.oneByOne > 0 && f.oneByOne === 0 ? 'consumer batch failed; retrying its events one by one' : 'consumer failed; retrying after a pause';
    this.deps.log.warn({ err, consumer: keyOf(slot), attempts: next.attempts }, message);
    return next;
  }

  private async retry(slot: Slot): Promise<number> {
    const f = slot.failure as Failure;
    const limit = f.oneByOne > 0 ? 1 : this.options.batchSize;
    const events = await this.deps.feed.read(slot.checkpoint, limit);
    if (events.length === 0) {
      slot.failure = undefined;
      return 0;
    }
    const lastAttempt = f.oneByOne > 0 && f.attempts + 1 >= this.options.maxAttempts;
    try {
      await (await this.commit([slot], events, events.length < limit, lastAttempt ? f.attempts + 1 : undefined))();
      slot.failure = f.oneByOne > 1 ? { attempts: 0, nextAt: 0, oneByOne: f.oneByOne - 1 } : undefined;
      return 1;
    } catch (err) {
      if (err instanceof LeaseLostError) this.failed([slot], err);
      else {
        slot.cache.discard();
        slot.failure = this.nextFailure(slot, f, err);
      }
      return 0;
    }
  }

  /**
   * Hand `events` to each slot (those after its checkpoint) and advance every
   * checkpoint to the batch's end. Outside effects first, before anything is
   * written; then the consumers' writes and the moves, in one statement.
   * `parkAttempts`: the last attempt at a single event; if it fails, it is
   * parked and the checkpoint moves past it. That, and a rebuild's switch to
   * live, take a transaction. Returns what to do once the writes committed.
   */
  private async commit(slots: Slot[], events: RecordedEvent[], reachedEnd: boolean, parkAttempts?: number): Promise<() => Promise<void>> {
    const { pool } = this.deps;
    const { owner, leaseTtlMs } = this.options;
    const work = slots.map((slot) => {
      const mine = events.filter((e) => compareCheckpoints(checkpointOf(e), slot.checkpoint) > 0);
      return { slot, wanted: mine.filter((e) => slot.consumer.wants(e)) };
    });
    const to = events.length > 0 ? checkpointOf(events[events.length - 1]) : undefined;
    let parked: { slot: Slot; err: unknown } | undefined;
    const attempt = async <T>(slot: Slot, run: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await run();
      } catch (err) {
        if (parkAttempts === undefined) throw err;
        parked = { slot, err };
        return undefined;
      }
    };
    for (const { slot, wanted } of work) {
      if (slot.consumer.delivery === 'effect' && wanted.length > 0) await attempt(slot, () => slot.consumer.handle(wanted, { version: slot.version }));
    }
    // Each consumer reads what it needs and says what to write; nothing is written yet.
    const writing = work.filter(({ slot, wanted }) => slot.consumer.delivery === 'transaction' && wanted.length > 0);
    // All settled before a failure is thrown: none may still be filling its cache once the round is given up.
    const written = await Promise.allSettled(
      writing.map(({ slot, wanted }) => attempt(slot, async () => (await slot.consumer.handle(wanted, { version: slot.version, db: pool, cache: slot.cache })) ?? [])),
    );
    const refused = written.find((w) => w.status === 'rejected');
    if (refused) throw refused.reason;
    const writes: Write[] = written.flatMap((w) => (w.status === 'fulfilled' ? (w.value ?? []) : []));
    const moves = to ? work.map(({ slot }) => ({ name: slot.name, version: slot.version, fence: slot.fence, from: slot.checkpoint, to })) : [];
    const promoting = reachedEnd ? slots.filter((s) => s.status === 'rebuilding') : [];
    const retired = new Map<Slot, number | undefined>();
    if (promoting.length === 0 && parkAttempts === undefined) {
      await advanceCheckpoints(pool, owner, leaseTtlMs, moves, writes);
    } else {
      await inTransaction(pool, async (tx) => {
        if (!parked && writes.length > 0) {
          // The last attempt: a write that fails parks the event, and the checkpoint moves on.
          await tx.query('SAVEPOINT writes');
          await attempt(slots[0], async () => {
            for (const write of writes) await tx.query(write.text, write.values);
          });
          await tx.query(parked ? 'ROLLBACK TO SAVEPOINT writes' : 'RELEASE SAVEPOINT writes');
        }
        if (parked) await parkEvent(tx, parked.slot.name, parked.slot.version, events[0], parked.err, parkAttempts as number);
        // Before the switch: the switch takes the retired version's lease away.
        await advanceCheckpoints(tx, owner, leaseTtlMs, moves);
        for (const slot of promoting) retired.set(slot, await promoteToLive(tx, slot.name, slot.version));
      });
    }
    return async () => {
      for (const slot of slots) {
        if (to) slot.checkpoint = to;
        if (parked?.slot === slot) slot.cache.discard();
        else slot.cache.commit();
        this.deps.advanced.emit(`advanced:${slot.name}`, slot.version);
      }
      if (parked) this.deps.log.warn({ consumer: keyOf(parked.slot), position: events[0].globalPosition }, 'consumer parked an event it could not handle');
      for (const [slot, old] of retired) {
        slot.status = 'live';
        this.slots = this.slots.filter((s) => !(s.name === slot.name && s.version === old));
        this.deps.log.info({ consumer: slot.name, version: slot.version, retired: old }, 'consumer rebuilt: reads switched to the new version');
        await this.deps.cleanUp(slot.consumer).catch((err) => this.deps.log.warn({ err, consumer: slot.name }, 'consumer clean-up failed'));
      }
    };
  }
}
