import type { Pool } from '../../src/db/pool';
import type { BenchDb } from './postgres';

/**
 * What Postgres itself counted for one database: commits and rows written
 * (pg_stat_database, per table from pg_stat_user_tables) and, when the
 * extension is loaded, statements with their time (pg_stat_statements).
 *
 * Postgres publishes a backend's counters lazily (at the latest when it
 * exits), so callers take these snapshots only while no server is connected.
 */
export interface DbCounters {
  commits: number;
  rollbacks: number;
  inserted: number;
  updated: number;
  deleted: number;
  /** Rows written per table (inserted + updated + deleted). */
  tables: Record<string, number>;
}

export async function dbCounters(admin: Pool, db: BenchDb): Promise<DbCounters> {
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await admin.query<Record<string, number>>(
    `SELECT xact_commit::float8 AS commits, xact_rollback::float8 AS rollbacks, tup_inserted::float8 AS inserted,
            tup_updated::float8 AS updated, tup_deleted::float8 AS deleted
       FROM pg_stat_database WHERE datname = $1`,
    [db.name],
  );
  const tables = await db.pool.query<{ name: string; written: number }>(
    `/* bench */ SELECT schemaname || '.' || relname AS name, (n_tup_ins + n_tup_upd + n_tup_del)::float8 AS written FROM pg_stat_user_tables`,
  );
  return {
    commits: rows[0].commits,
    rollbacks: rows[0].rollbacks,
    inserted: rows[0].inserted,
    updated: rows[0].updated,
    deleted: rows[0].deleted,
    tables: Object.fromEntries(tables.rows.map((r) => [r.name, r.written])),
  };
}

/** (after − before − overhead) / n, field by field. */
export function perUnit(before: DbCounters, after: DbCounters, overhead: DbCounters, n: number): DbCounters {
  const f = (k: keyof Omit<DbCounters, 'tables'>) => (after[k] - before[k] - overhead[k]) / n;
  const tables: Record<string, number> = {};
  for (const [name, v] of Object.entries(after.tables)) {
    const d = (v - (before.tables[name] ?? 0) - (overhead.tables[name] ?? 0)) / n;
    if (Math.abs(d) >= 0.005) tables[name] = d;
  }
  return { commits: f('commits'), rollbacks: f('rollbacks'), inserted: f('inserted'), updated: f('updated'), deleted: f('deleted'), tables };
}

export const diff = (a: DbCounters, b: DbCounters): DbCounters => perUnit(a, b, zero(), 1);

export function zero(): DbCounters {
  return { commits: 0, rollbacks: 0, inserted: 0, updated: 0, deleted: 0, tables: {} };
}

export interface StatementStat {
  query: string;
  calls: number;
  totalMs: number;
}

/** pg_stat_statements for one database, keyed by query id (null when unavailable). */
export async function statementStats(db: BenchDb): Promise<Map<string, StatementStat> | null> {
  try {
    const { rows } = await db.pool.query<{ id: string; query: string; calls: number; total: number }>(
      `/* bench */ SELECT queryid::text AS id, query, calls::float8 AS calls, total_exec_time AS total
         FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    return new Map(rows.map((r) => [r.id, { query: r.query, calls: r.calls, totalMs: r.total }]));
  } catch {
    return null;
  }
}

/** The statements that took the most server time between two snapshots, per unit of work. */
export function topStatements(
  before: Map<string, StatementStat>,
  after: Map<string, StatementStat>,
  n: number,
  limit = 8,
): { query: string; callsPer: number; msPer: number; meanMs: number }[] {
  const out = [];
  for (const [id, a] of after) {
    const b = before.get(id);
    const calls = a.calls - (b?.calls ?? 0);
    const ms = a.totalMs - (b?.totalMs ?? 0);
    if (calls > 0) out.push({ query: a.query.replace(/\s+/g, ' ').trim(), callsPer: calls / n, msPer: ms / n, meanMs: ms / calls });
  }
  return out.sort((x, y) => y.msPer - x.msPer).slice(0, limit);
}

/** Calls and time per statement between two snapshots. */
export function statementDelta(before: Map<string, StatementStat>, after: Map<string, StatementStat>): Map<string, StatementStat> {
  const out = new Map<string, StatementStat>();
  for (const [id, a] of after) {
    const b = before.get(id);
    const calls = a.calls - (b?.calls ?? 0);
    if (calls > 0) out.set(id, { query: a.query.replace(/\s+/g, ' ').trim(), calls, totalMs: a.totalMs - (b?.totalMs ?? 0) });
  }
  return out;
}

/** The statements whose mean time grew the most between two measurements (at least `minCalls` calls in each). */
export function slowedMost(first: Map<string, StatementStat>, last: Map<string, StatementStat>, minCalls = 20, limit = 3) {
  const out = [];
  for (const [id, l] of last) {
    const f = first.get(id);
    if (!f || f.calls < minCalls || l.calls < minCalls) continue;
    const [before, after] = [f.totalMs / f.calls, l.totalMs / l.calls];
    out.push({ query: l.query, beforeMs: before, afterMs: after, addedMs: after - before });
  }
  return out.sort((x, y) => y.addedMs - x.addedMs).slice(0, limit);
}

/**
 * Every statement between two snapshots, per unit of work, most calls first:
 * where the round trips go. The bench's own queries (marked bench) are left out.
 */
export function statementsByCalls(
  before: Map<string, StatementStat>,
  after: Map<string, StatementStat>,
  n: number,
): { query: string; callsPer: number; meanMs: number; msPer: number }[] {
  return [...statementDelta(before, after).values()]
    .filter((s) => !s.query.includes('/* bench */'))
    .map((s) => ({ query: s.query, callsPer: s.calls / n, meanMs: s.totalMs / s.calls, msPer: s.totalMs / n }))
    .sort((a, b) => b.callsPer - a.callsPer || b.msPer - a.msPer);
}
