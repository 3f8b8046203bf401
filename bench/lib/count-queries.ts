/**
 * Preloaded into the server child processes (`node --import`): counts SQL round
 * trips (every pg Client.query call, the pool's and DBOS's included) and the
 * transactions they form, and answers the bench over the IPC channel. A regex
 * and an increment per query cost nothing next to a round trip, and it is
 * loaded into both sides alike.
 *
 * Each transaction is attributed as a whole (its BEGIN and COMMIT included) to
 * who ran it, recognised by the tables it touches:
 *   readSide  consumers following the feed (projections, process managers,
 *             the outbox): their checkpoint and read-model writes, and feed reads
 *             (the event store marks them with a feed comment)
 *   dbos      DBOS's own bookkeeping (schema "dbos")
 *   app       everything else: HTTP handlers, saga steps, simulated providers
 */
import pg from 'pg';

export type Category = 'app' | 'dbos' | 'readSide';
export interface QueryCounts {
  statements: Record<Category, number>;
  transactions: Record<Category, number>;
}

const READ_SIDE = /consumer_checkpoints|consumer_dead_letters|\brm_[a-z_]+|\/\* feed \*\//;
const DBOS = /"dbos"\.|\bdbos\./;
const BEGIN = /^\s*(BEGIN|START TRANSACTION)\b/i;
const END = /^\s*(COMMIT|END|ROLLBACK(?!\s+TO\b))\b/i;
const RANK: Record<Category, number> = { app: 0, dbos: 1, readSide: 2 };

const counts: QueryCounts = {
  statements: { app: 0, dbos: 0, readSide: 0 },
  transactions: { app: 0, dbos: 0, readSide: 0 },
};
/** Per connection: the open transaction's statement count and category so far. */
const open = new WeakMap<pg.Client, { statements: number; category: Category }>();

function classify(text: string): Category {
  return READ_SIDE.test(text) ? 'readSide' : DBOS.test(text) ? 'dbos' : 'app';
}

function count(client: pg.Client, text: string): void {
  const tx = open.get(client);
  if (BEGIN.test(text)) {
    open.set(client, { statements: 1, category: 'app' });
  } else if (tx && END.test(text)) {
    open.delete(client);
    counts.statements[tx.category] += tx.statements + 1;
    counts.transactions[tx.category]++;
  } else if (tx) {
    tx.statements++;
    const category = classify(text);
    if (RANK[category] > RANK[tx.category]) tx.category = category;
  } else {
    const category = classify(text);
    counts.statements[category]++;
    counts.transactions[category]++;
  }
}

const original = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(this: pg.Client, config: unknown, ...rest: unknown[]) {
  count(this, typeof config === 'string' ? config : ((config as { text?: string } | undefined)?.text ?? ''));
  return (original as (...args: unknown[]) => unknown).call(this, config, ...rest);
} as typeof original;

process.on('message', (message) => {
  if (message === 'bench:counts') process.send?.({ type: 'bench:counts', counts: structuredClone(counts) });
});
