import { UndecodableEventError, type Write } from '../consumers/consumer';
import type { RowCache } from '../consumers/row-cache';
import type { Queryable, RecordedEvent } from '../eventstore';

export interface ApplyContext {
  version: number;
  /** Reads of the read model's own rows (committed: only this version's lease holder writes them). */
  db: Queryable;
  /** Rows as earlier batches of this lease wrote them (see RowCache). */
  cache: RowCache;
}

/**
 * A read model fed by the global feed, a kind of consumer (consumer.ts). The
 * mechanism calls `apply` with a batch and commits the writes it returns in
 * the statement that also advances the checkpoint, so they take effect
 * exactly once. `apply` may throw: it is retried, then the event it cannot get
 * past is parked.
 */
export interface Projection {
  readonly name: string;
  /**
   * The version of the projection's rules. Raise it when they change: a
   * process that finds the live version built by older rules rebuilds.
   */
  readonly rulesVersion: number;
  apply(events: RecordedEvent[], ctx: ApplyContext): Promise<Write[]>;
  /** The events `apply` folds (default: all); a round with none of them writes nothing. */
  wants?(event: RecordedEvent): boolean;
  /** Delete a retired version's rows. */
  drop(db: Queryable, version: number): Promise<void>;
}

/** A subquery for the live version of a projection, so a read sees one version in one statement. */
export function liveVersionOf(name: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new RangeError(`invalid projection name ${name}`);
  return `(SELECT version FROM consumer_checkpoints WHERE name = '${name}' AND status = 'live')`;
}

/**
 * A read model with one row per key (an order, a saga, a SKU), each row holding
 * the folded state it evolves from plus columns derived from that state.
 */
export interface DocumentSpec<S> {
  name: string;
  rulesVersion: number;
  table: string;
  keyColumn: string;
  /** Stream categories this read model folds; other events pass by untouched. */
  categories: readonly string[];
  /** Pure. Undefined means "no row yet" (e.g. saga events before SagaStarted). */
  evolve(state: S | undefined, event: RecordedEvent): S | undefined;
  /** SQL types of the derived columns, as jsonb_to_recordset needs them. */
  columns: Record<string, string>;
  toColumns(state: S, key: string): Record<string, unknown>;
}

/** The id after `<category>-` in a stream id (ids may contain dashes themselves). */
export const idOf = (event: RecordedEvent): string => event.streamId.slice(event.streamType.length + 1);

/**
 * Folds a batch in memory: the rows it touches come from the cache (loaded
 * whole when the lease is taken), the rest from one query; one upsert writes
 * them back. A retried batch starts from what is committed: a failed batch
 * leaves nothing in the cache.
 */
export function documentProjection<S>(spec: DocumentSpec<S>): Projection {
  const { table, keyColumn } = spec;
  const columnNames = Object.keys(spec.columns);
  const recordset = [`${keyColumn} text`, 'state jsonb', ...columnNames.map((c) => `${c} ${spec.columns[c]}`)].join(', ');
  const insertColumns = [keyColumn, 'state', ...columnNames].join(', ');
  const updates = ['state', ...columnNames].map((c) => `${c} = EXCLUDED.${c}`).join(', ');
  const upsertSql = `INSERT INTO ${table} (version, ${insertColumns})
    SELECT $1, ${insertColumns} FROM jsonb_to_recordset($2::jsonb) AS r(${recordset})
    ON CONFLICT (version, ${keyColumn}) DO UPDATE SET ${updates}`;
  const categories = new Set(spec.categories);

  return {
    name: spec.name,
    rulesVersion: spec.rulesVersion,
    wants: (event) => categories.has(event.streamType),

    async apply(events, { version, db, cache }) {
      const relevant = events.filter((e) => categories.has(e.streamType));
      if (relevant.length === 0) return [];
      if (cache.wantsLoad) {
        const { rows } = await db.query<{ key: string; state: S }>(`SELECT ${keyColumn} AS key, state FROM ${table} WHERE version = $1 LIMIT $2`, [
          version,
          cache.capacity + 1,
        ]);
        cache.load(rows.map((r) => [r.key, r.state]));
      }
      const keys = [...new Set(relevant.map(idOf))];
      const states = new Map<string, S | undefined>(keys.map((key) => [key, cache.get<S>(key)]));
      const missing = cache.complete ? [] : keys.filter((key) => states.get(key) === undefined);
      if (missing.length > 0) {
        const { rows } = await db.query<{ key: string; state: S }>(
          `SELECT ${keyColumn} AS key, state FROM ${table} WHERE version = $1 AND ${keyColumn} = ANY($2::text[])`,
          [version, missing],
        );
        for (const row of rows) states.set(row.key, row.state);
      }
      const changed = new Set<string>();
      for (const event of relevant) {
        if (event.decodeError) throw new UndecodableEventError(spec.name, event);
        const key = idOf(event);
        const next = spec.evolve(states.get(key), event);
        if (next === undefined) continue;
        states.set(key, next);
        changed.add(key);
      }
      if (changed.size === 0) return [];
      const records = [...changed].map((key) => {
        const state = states.get(key) as S;
        cache.set(key, state);
        return { ...spec.toColumns(state, key), [keyColumn]: key, state };
      });
      return [{ text: upsertSql, values: [version, JSON.stringify(records)] }];
    },

    async drop(db, version) {
      await db.query(`DELETE FROM ${table} WHERE version = $1`, [version]);
    },
  };
}
