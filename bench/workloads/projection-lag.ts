import { benchNats, commitTimes, dropBenchStreams, outboxCaughtUp, outboxLags } from '../lib/outbox-lag';
import type { BenchDb } from '../lib/postgres';
import type { BenchContext } from '../lib/profile';
import { check, fmt, type WorkloadResult } from '../lib/report';
import { runSagas } from '../lib/saga-driver';
import { medianOf, summarize } from '../lib/stats';
import { openSide } from '../lib/sides';

/**
 * Workload 3: projection lag while sagas run at full speed (c=32): for every
 * event committed during the run, the time from the commit of the transaction
 * that appended it to the commit of the read-model batch that applied it
 * (PostgreSQL's commit timestamps, track_commit_timestamp, which the bench's
 * own cluster turns on). Also printed: the lag from the append itself
 * (recorded_at, set inside the appending statement), which adds the rest of
 * the writer's transaction. The service's own consumers run inside the server
 * process; a bench-only trigger logs each live checkpoint advance (its
 * transaction id, and clock_timestamp() for servers without commit times),
 * and each event's lag is found in SQL afterwards.
 */

async function headPosition(db: BenchDb): Promise<number> {
  const { rows } = await db.pool.query<{ p: number | null }>('SELECT max(global_position) AS p FROM events');
  return rows[0].p ?? 0;
}

async function waitUntil(test: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > end) throw new Error('the read side did not catch up within 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Service projections: log every live checkpoint advance, then join events to the first advance past them. */
async function watchProjections(db: BenchDb) {
  await db.pool.query(`
    CREATE TABLE IF NOT EXISTS bench_checkpoint_log (name text, txid xid8, position bigint, at timestamptz, xid xid8);
    CREATE INDEX IF NOT EXISTS bench_checkpoint_log_idx ON bench_checkpoint_log (name, txid, position);
    CREATE OR REPLACE FUNCTION bench_log_checkpoint() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO bench_checkpoint_log VALUES (NEW.name, NEW.txid, NEW.position, clock_timestamp(), pg_current_xact_id());
      RETURN NULL;
    END $$;
    CREATE OR REPLACE TRIGGER bench_log_checkpoint AFTER UPDATE OF position ON consumer_checkpoints
      FOR EACH ROW WHEN (NEW.status = 'live' AND NEW.kind = 'projection' AND NEW.position <> OLD.position) EXECUTE FUNCTION bench_log_checkpoint();`);
  const names = (await db.pool.query<{ name: string }>(`SELECT name FROM consumer_checkpoints WHERE status = 'live' AND kind = 'projection'`)).rows;
  return {
    names: names.map((n) => n.name),
    caughtUp: async (position: number) => {
      const { rows } = await db.pool.query<{ behind: number }>(
        `SELECT count(*)::int AS behind FROM consumer_checkpoints c
          WHERE c.status = 'live' AND c.kind = 'projection' AND NOT EXISTS (
            SELECT 1 FROM events e WHERE e.global_position = $1 AND (e.txid, e.global_position) <= (c.txid, c.position))`,
        [position],
      );
      return rows[0].behind === 0;
    },
    /** Per read model, each event's lag in ms: from its commit (when the server keeps commit times) and from its append. */
    lags: async (from: number, to: number, commitTimes: boolean): Promise<Map<string, { fromCommit: number[]; fromAppend: number[] }>> => {
      const { rows } = await db.pool.query<{ name: string; from_append: number; from_commit: number | null }>(
        `SELECT p.name, (extract(epoch FROM c.at - e.recorded_at) * 1000)::float8 AS from_append,
                CASE WHEN $3 THEN (extract(epoch FROM pg_xact_commit_timestamp(c.xid::xid) - pg_xact_commit_timestamp(e.txid::xid)) * 1000)::float8 END AS from_commit
           FROM events e
          CROSS JOIN (SELECT name FROM consumer_checkpoints WHERE status = 'live' AND kind = 'projection') p
          CROSS JOIN LATERAL (
            SELECT at, xid FROM bench_checkpoint_log c
             WHERE c.name = p.name AND (c.txid, c.position) >= (e.txid, e.global_position)
             ORDER BY c.txid, c.position LIMIT 1) c
          WHERE e.global_position > $1 AND e.global_position <= $2`,
        [from, to, commitTimes],
      );
      const byName = new Map<string, { fromCommit: number[]; fromAppend: number[] }>();
      for (const r of rows) {
        const lags = byName.get(r.name) ?? { fromCommit: [], fromAppend: [] };
        lags.fromAppend.push(r.from_append);
        if (r.from_commit !== null) lags.fromCommit.push(r.from_commit);
        byName.set(r.name, lags);
      }
      return byName;
    },
    stop: async () => {},
  };
}

export async function lagWorkload(ctx: BenchContext): Promise<WorkloadResult> {
  const { profile, progress } = ctx;
  // With NATS at hand the server runs its outbox too, as in production: both lags are measured under the same load.
  const nats = await benchNats();
  const side = await openSide(ctx, 'ours', 'w3_lag', nats?.env);
  try {
    const mode = 'service projections';
    const readSide = await watchProjections(side.db);
    progress(`w3: measuring ${mode}: ${readSide.names.join(', ')}`);
    await runSagas(side, { label: 'warm', n: 50, concurrency: 32, declinedEvery: 10 });

    // Without commit times (a server of DATABASE_URL that does not keep them), the lags are counted from the append.
    const fromCommit = ctx.server.commitTimestamps;
    const basis = fromCommit ? 'commit' : 'append';
    const reps: Record<string, number>[] = [];
    for (let r = 0; r < profile.reps; r++) {
      progress(`w3: rep ${r + 1}/${profile.reps}`);
      const from = await headPosition(side.db);
      const q0 = await side.server.counts();
      const run = await runSagas(side, { label: `lag${r}`, n: profile.lag.sagas, concurrency: 32, declinedEvery: 10 });
      const to = await headPosition(side.db);
      await waitUntil(() => readSide.caughtUp(to));
      const q1 = await side.server.counts();
      const perSaga = (n: number) => n / profile.lag.sagas;
      if (nats) await waitUntil(() => outboxCaughtUp(side.db, to));
      const outbox = nats ? await outboxLags(nats.url, nats.stream, from, to, fromCommit ? await commitTimes(side.db, from, to) : new Map()) : undefined;
      const lags = await readSide.lags(from, to, fromCommit);
      const primary = (l: { fromCommit: number[]; fromAppend: number[] }) => (fromCommit ? l.fromCommit : l.fromAppend);
      const per = Object.fromEntries([...lags].map(([name, l]) => [name, summarize(primary(l))]));
      const perAppend = Object.fromEntries([...lags].map(([name, l]) => [`${name}.append`, summarize(l.fromAppend)]));
      const all = [...lags.values()].flatMap(primary);
      reps.push({
        perSecond: run.perSecond,
        events: to - from,
        ...flatten(per),
        ...flatten(perAppend),
        ...(outbox ? flatten({ outbox: summarize(primary(outbox)), 'outbox.append': summarize(outbox.fromAppend) }) : {}),
        readSideStatements: perSaga(q1.statements.readSide - q0.statements.readSide),
        readSideTransactions: perSaga(q1.transactions.readSide - q0.transactions.readSide),
        worstP99: Math.max(...Object.values(per).map((s) => s.p99)),
        allP50: summarize(all).p50,
      });
    }
    await readSide.stop();
    const med = medianOf(reps);
    const names = readSide.names;
    const appendNote = fromCommit
      ? 'from append: from the event\'s recorded_at, set inside the appending statement; it adds the rest of the writer\'s own transaction (the saga step\'s commit)'
      : 'the server keeps no commit times (track_commit_timestamp off): every lag is counted from the append (recorded_at), which adds the rest of the writer\'s own transaction';
    return {
      name: 'lag',
      tables: [
        {
          title: `Workload 3: projection lag at full saga load (c=32, ${profile.lag.sagas} sagas, median of ${profile.reps} reps)`,
          headers: ['read model', 'events', `p50 ms from ${basis}`, `p99 ms from ${basis}`, 'max ms', 'p50 ms from append', 'p99 ms from append'],
          rows: names.map((n) => [n, med[`${n}.n`], med[`${n}.p50`], med[`${n}.p99`], med[`${n}.max`], med[`${n}.append.p50`], med[`${n}.append.p99`]]),
          notes: [
            `measured: ${mode}; sagas ran at ${fmt(med.perSecond)} /s meanwhile (10% declined)`,
            `read side meanwhile (projections, process managers${nats ? ', outbox' : ''}): ${fmt(med.readSideStatements)} statements in ${fmt(med.readSideTransactions)} transactions per saga`,
            `lag: commit of the transaction that appended the event -> commit of the read-model batch that applied it (PostgreSQL commit timestamps; a bench trigger logs each live checkpoint advance)`,
            appendNote,
          ],
        },
        {
          title: `Workload 3: outbox lag at full saga load (commit -> NATS JetStream ack, same runs)`,
          headers: ['outbox', 'messages', `p50 ms from ${basis}`, `p99 ms from ${basis}`, 'max ms', 'p50 ms from append', 'p99 ms from append'],
          rows: nats
            ? [[nats.url, med['outbox.n'], med['outbox.p50'], med['outbox.p99'], med['outbox.max'], med['outbox.append.p50'], med['outbox.append.p99']]]
            : [['NATS not reachable: no outbox', 0, 0, 0, 0, 0, 0]],
          notes: [
            'lag: commit of the transaction that appended the event -> stored by JetStream (the message timestamp its ack confirms); every category is published (the default NATS_OUTBOX_CATEGORIES)',
          ],
        },
      ],
      targets: [
        check(
          'W3 projection lag p99 at full saga load',
          '< 100 ms',
          `${fmt(med.worstP99)} ms from ${basis} (worst read model; p50 ${fmt(med.allP50)} ms)`,
          med.worstP99 < 100,
          'the gap-safe feed holds events back behind older open transactions, and the consumers share the saga process\'s event loop',
        ),
        check(
          'W3 read-side cost per saga at full saga load',
          '<= 30 statements, <= 10 transactions',
          `${fmt(med.readSideStatements)} statements in ${fmt(med.readSideTransactions)} transactions`,
          med.readSideStatements <= 30 && med.readSideTransactions <= 10,
          'each round is one feed read and one write; fewer, larger rounds under load cost less per saga',
        ),
      ],
      data: { mode, readModels: names, reps, median: med },
    };
  } finally {
    await side.close();
    if (nats) await dropBenchStreams(nats.url, nats.env).catch(() => {});
  }
}

function flatten(per: Record<string, ReturnType<typeof summarize>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, s] of Object.entries(per)) for (const [k, v] of Object.entries(s)) out[`${name}.${k}`] = v;
  return out;
}
