import { slowedMost, statementDelta, statementStats, type StatementStat } from '../lib/pg-counters';
import type { BenchDb } from '../lib/postgres';
import type { BenchContext } from '../lib/profile';
import { check, fmt, ratio, type WorkloadResult } from '../lib/report';
import { runSagas } from '../lib/saga-driver';
import { medianOf, now } from '../lib/stats';
import { appendWriters, runAppends } from '../lib/append-driver';
import { openSide } from '../lib/sides';

/**
 * Workload 6: saga latency and append latency with 0, 100k and 1M events
 * already stored. The events table forbids UPDATE/DELETE, so one database is
 * filled upwards: measure, bulk-load to the next level, measure again. The
 * filler is 10-event inventory streams with their streams rows and a command
 * id each, written by INSERT ... SELECT generate_series (fast, and the same
 * indexes as real appends), then VACUUM ANALYZE and a CHECKPOINT, as a
 * steady-state database would be.
 *
 * The filler carries old transaction ids, as history written long ago would:
 * the feed is ordered by (txid, position), so the projections and process
 * managers running in the server see it as already behind their checkpoints.
 * Otherwise the figures at 1M would measure the read side catching up on a
 * million events, not a database that holds them.
 */
const CHUNK = 100_000;
const PER_STREAM = 10;
/** One old transaction id per chunk, 3..12: below any the cluster has handed out since initdb (3 is the first normal one). */
const OLD_TXID = 3;

async function bulkLoad(db: BenchDb, from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += CHUNK) {
    const end = Math.min(to, start + CHUNK);
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO events (txid, stream_id, stream_type, stream_position, event_id, type, schema_version, data, metadata,
                             correlation_id, recorded_at)
         SELECT ($1::bigint / ${CHUNK} + ${OLD_TXID})::text::xid8, 'inventory-bulk' || (g / ${PER_STREAM}), 'inventory', g % ${PER_STREAM} + 1, gen_random_uuid(), 'StockAdded', 1,
                '{"quantity": 1}', '{}', 'bulk-' || (g / ${PER_STREAM}), now() - interval '1 day' + g * interval '1 ms'
           FROM generate_series($1::bigint, $2::bigint - 1) g`,
        [start, end],
      );
      await client.query(
        `INSERT INTO streams (stream_id, stream_type, version, last_txid, last_recorded_at)
         SELECT 'inventory-bulk' || s, 'inventory', ${PER_STREAM}, ($3::bigint / ${CHUNK} + ${OLD_TXID})::text::xid8, now()
           FROM generate_series($1::bigint, $2::bigint - 1) s`,
        [start / PER_STREAM, end / PER_STREAM, start],
      );
      await client.query(
        `INSERT INTO commands (command_id, result) SELECT 'bulk-' || s, '{}' FROM generate_series($1::bigint, $2::bigint - 1) s`,
        [start / PER_STREAM, end / PER_STREAM],
      );
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  }
  for (const table of ['events', 'streams', 'commands']) await db.pool.query(`VACUUM ANALYZE ${table}`);
  await db.pool.query('CHECKPOINT').catch(() => {}); // needs superuser; only steadies the figures
}

export async function growthWorkload(ctx: BenchContext): Promise<WorkloadResult> {
  const { profile, progress } = ctx;
  const side = await openSide(ctx, 'ours', 'w6_growth');
  const writers = appendWriters(side.db);
  const levels = [];
  // Per level, what each statement cost (pg_stat_statements, when available): finds what grows.
  const statements: Map<string, StatementStat>[] = [];
  let stored = 0;
  try {
    for (const level of profile.growth.levels) {
      if (level > stored) {
        progress(`w6: bulk-loading to ${level} events`);
        const t = now();
        await bulkLoad(side.db, stored, level);
        progress(`w6: loaded ${fmt(level - stored)} events in ${fmt((now() - t) / 1000)} s`);
        stored = level;
      }
      progress(`w6: measuring at ${level} events`);
      await runSagas(side, { label: `warm${level}`, n: 10, concurrency: 1 });
      await runAppends(writers.ours, `warm${level}`, 100, 1, 1);
      const before = await statementStats(side.db);
      const reps = [];
      for (let r = 0; r < profile.reps; r++) {
        const sagas = await runSagas(side, { label: `g${level}r${r}`, n: profile.growth.sagas, concurrency: 1 });
        const appends = await runAppends(writers.ours, `g${level}r${r}`, profile.growth.appends, 1, 1);
        reps.push({ sagaP50: sagas.latency.p50, sagaP99: sagas.latency.p99, appendP50: appends.p50, appendP99: appends.p99 });
      }
      const after = await statementStats(side.db);
      if (before && after) statements.push(statementDelta(before, after));
      const { rows } = await side.db.pool.query<{ n: number }>('/* bench */ SELECT count(*)::int AS n FROM events');
      levels.push({ level, storedEvents: rows[0].n, ...medianOf(reps) });
    }
  } finally {
    await side.close();
  }

  const first = levels[0];
  const top = levels[levels.length - 1];
  const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : `${n}`);
  const topLabel = label(top.level);
  const quickNote = top.level < 1_000_000 ? ' (--quick stops at 100k)' : '';
  const slowed = statements.length > 1 ? slowedMost(statements[0], statements[statements.length - 1]) : [];
  const slowedNote = slowed.length
    ? [`statements whose mean time grew most from the first level to the last (pg_stat_statements): ` +
        slowed.map((q) => `"${q.query.slice(0, 70)}" ${fmt(q.beforeMs)} -> ${fmt(q.afterMs)} ms`).join('; ')]
    : [];
  return {
    name: 'growth',
    tables: [
      {
        title: `Workload 6: growth, latency with events already stored (c=1, median of ${profile.reps} reps)`,
        headers: ['events stored', 'saga p50 ms', 'saga p99 ms', 'append p50 ms', 'append p99 ms', 'saga p50 vs 0', 'append p50 vs 0'],
        rows: levels.map((l) => [
          fmt(l.storedEvents),
          l.sagaP50,
          l.sagaP99,
          l.appendP50,
          l.appendP99,
          ratio(l.sagaP50, first.sagaP50),
          ratio(l.appendP50, first.appendP50),
        ]),
        notes: [
          `per level: ${profile.growth.sagas} sagas over HTTP and ${profile.growth.appends} single appends, one at a time`,
          `filler: ${PER_STREAM}-event inventory streams (+ streams rows, command ids), bulk-loaded, then VACUUM ANALYZE + CHECKPOINT${quickNote}`,
          ...slowedNote,
        ],
      },
    ],
    targets: [
      check(
        `W6 saga p50 at ${topLabel} events${quickNote}`,
        '<= 1.5x p50 at 0',
        `${(top.sagaP50 / first.sagaP50).toFixed(2)}x (${fmt(top.sagaP50)} vs ${fmt(first.sagaP50)} ms)`,
        top.sagaP50 <= 1.5 * first.sagaP50,
        slowed.length
          ? `the statement that grew most went from ${fmt(slowed[0].beforeMs)} to ${fmt(slowed[0].afterMs)} ms: ${slowed[0].query.slice(0, 160)}`
          : undefined,
      ),
      check(
        `W6 append p50 at ${topLabel} events${quickNote}`,
        '<= 1.5x p50 at 0',
        `${(top.appendP50 / first.appendP50).toFixed(2)}x (${fmt(top.appendP50)} vs ${fmt(first.appendP50)} ms)`,
        top.appendP50 <= 1.5 * first.appendP50,
        slowed.length ? 'it shares the two cores with the statement that grew most (see the saga target above)' : undefined,
      ),
    ],
    data: { levels, slowed },
  };
}
