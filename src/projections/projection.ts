import { UndecodableEventError } from '../consumers/consumer';
import type { PoolClient } from '../db/pool';
import type { Queryable, RecordedEvent } from '../eventstore';

/**
 * A read model fed by the global feed, a kind of consumer (consumer.ts). The
 * mechanism calls `apply` inside the transaction that also advances the
 * checkpoint, so what `apply` writes and the checkpoint commit together
 * (effectively once). `apply` may throw: it is retried, then the event it
 * cannot get past is parked.
 */
export interface Projection {
  readonly name: string;
  /**
   * The version of the projection's rules. Raise it when they change: a
   * process that finds the live version built by older rules rebuilds.
   */
  readonly rulesVersion: number;
  apply(tx: PoolClient, version: number, events: RecordedEvent[]): Promise<void>;
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
 * Folds a batch in memory: one query loads every row the batch touches, one
 * upsert writes them back. The rows' previous state comes from the same
 * transaction, so a retried batch starts from what is committed.
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

    async apply(tx, version, events) {
      const relevant = events.filter((e) => categories.has(e.streamType));
      if (relevant.length === 0) return;
      const keys = [...new Set(relevant.map(idOf))];
      const { rows } = await tx.query<{ key: string; state: S }>(
        `SELECT ${keyColumn} AS key, state FROM ${table} WHERE version = $1 AND ${keyColumn} = ANY($2::text[])`,
        [version, keys],
      );
      const states = new Map<string, S | undefined>(rows.map((r) => [r.key, r.state]));
      const changed = new Set<string>();
      for (const event of relevant) {
        if (event.decodeError) throw new UndecodableEventError(spec.name, event);
        const key = idOf(event);
        const next = spec.evolve(states.get(key), event);
        if (next === undefined) continue;
        states.set(key, next);
        changed.add(key);
      }
      if (changed.size === 0) return;
      const records = [...changed].map((key) => {
        const state = states.get(key) as S;
        return { ...spec.toColumns(state, key), [keyColumn]: key, state };
      });
      await tx.query(upsertSql, [version, JSON.stringify(records)]);
    },

    async drop(db, version) {
      await db.query(`DELETE FROM ${table} WHERE version = $1`, [version]);
    },
  };
}
