import type { RunRequest, RunResult } from '../engine/child';
import { STEP_COUNT } from '../engine/saga';
import { startWorker, type WorkerChild } from '../lib/child';
import type { Category, QueryCounts } from '../lib/count-queries';
import { dbCounters, diff, perUnit, statementsByCalls, statementStats, type DbCounters } from '../lib/pg-counters';
import { waitForServerBackendsGone, type BenchDb } from '../lib/postgres';
import type { BenchContext } from '../lib/profile';
import { check, fmt, ratio, type Table, type TargetCheck, type WorkloadResult } from '../lib/report';
import { medianOf, pairedRatio } from '../lib/stats';
import { stepTimes, stepTimeTable, type StepTime } from './saga-cost';

/**
 * Workload engine: the saga engine itself, against bare DBOS. A saga of four
 * commands-only steps (one command, one event, each on an aggregate of its
 * own; each with a commands-only compensation; bench/engine/saga.ts) against a
 * DBOS workflow of four steps, each one pg INSERT (bench/baseline/workflow.ts).
 * Both are started in-process and awaited through DBOS's own handle: no HTTP,
 * no providers, no read side. Each side runs in its own process and its own
 * fresh database; repetitions alternate the sides (and which goes first).
 */
type SideName = 'ours' | 'baseline';

interface EngineSide {
  side: SideName;
  db: BenchDb;
  worker: WorkerChild;
  run(label: string, n: number, concurrency: number, failAt?: number): Promise<RunResult>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function openEngineSide(ctx: BenchContext, side: SideName): Promise<EngineSide> {
  const label = `engine_${side}`;
  const db = await ctx.server.createDatabase(label, { migrate: side === 'ours' });
  const start = () =>
    startWorker({ name: label, entry: 'bench/engine/child.ts', databaseUrl: db.url, env: { ENGINE_SIDE: side } });
  const s: EngineSide = {
    side,
    db,
    worker: await start(),
    run: (runLabel, n, concurrency, failAt) =>
      s.worker.request<RunResult>({ type: 'run', label: runLabel, n, concurrency, failAt } satisfies Omit<RunRequest, 'id'>),
    async restart() {
      s.worker = await start();
    },
    stop: () => s.worker.stop(),
  };
  return s;
}

interface Figures extends Record<string, number> {
  perSecond: number;
  p50: number;
  p99: number;
  cpuMsPerSaga: number;
}

const figures = (r: RunResult): Figures => ({ perSecond: r.perSecond, p50: r.latency.p50, p99: r.latency.p99, cpuMsPerSaga: r.cpuMsPerSaga });

type Split = Record<Category | 'total', number>;

/** DbCounters: pg_stat_database, per saga, across a restart, minus an idle start/stop. */
interface SideCost extends DbCounters {
  /** Round trips the side's process sent, per saga (lib/count-queries.ts). */
  statements: Split;
  transactions: Split;
  steps: StepTime[];
  workflowMs: number;
  /** pg_stat_statements: every top-level statement of the run, per saga (null without the extension). */
  byStatement: { query: string; callsPer: number; meanMs: number; msPer: number }[] | null;
  outcomes: Record<string, number>;
  /** CPU of the side's process per saga, ms. */
  cpuMsPerSaga: number;
}

async function stopAndRead(ctx: BenchContext, side: EngineSide): Promise<DbCounters> {
  await side.stop();
  await waitForServerBackendsGone(ctx.server.admin, side.db);
  return dbCounters(ctx.server.admin, side.db);
}

function split(before: QueryCounts[keyof QueryCounts], after: QueryCounts[keyof QueryCounts], n: number): Split {
  const d = (k: Category) => (after[k] - before[k]) / n;
  return { app: d('app'), dbos: d('dbos'), readSide: d('readSide'), total: d('app') + d('dbos') + d('readSide') };
}

/** What one saga costs on a side: n sagas one at a time, counted by the process and by Postgres. */
async function measureCost(ctx: BenchContext, side: EngineSide, n: number): Promise<SideCost> {
  ctx.progress(`engine: cost of one saga, ${side.side}`);
  const before = await stopAndRead(ctx, side);
  await side.restart();
  const afterIdle = await stopAndRead(ctx, side);
  await side.restart();
  const s0 = await statementStats(side.db);
  const q0 = await side.worker.counts();
  const run = await side.run('cost', n, 1);
  const q1 = await side.worker.counts();
  const s1 = await statementStats(side.db);
  const times = await stepTimes(side.db, run.ids);
  const per = perUnit(afterIdle, await stopAndRead(ctx, side), diff(before, afterIdle), n);
  return {
    statements: split(q0.statements, q1.statements, n),
    transactions: split(q0.transactions, q1.transactions, n),
    commits: per.commits,
    rollbacks: per.rollbacks,
    inserted: per.inserted,
    updated: per.updated,
    deleted: per.deleted,
    tables: per.tables,
    ...times,
    byStatement: s0 && s1 ? statementsByCalls(s0, s1, n) : null,
    outcomes: run.outcomes,
    cpuMsPerSaga: run.cpuMsPerSaga,
  };
}

const describeOutcomes = (o: Record<string, number>) =>
  Object.entries(o)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');

export async function engineWorkload(ctx: BenchContext): Promise<WorkloadResult> {
  const { profile, progress } = ctx;
  const e = profile.engine;
  const baseline = await openEngineSide(ctx, 'baseline');
  const ours = await openEngineSide(ctx, 'ours').catch(async (err) => {
    await baseline.stop().catch(() => {});
    throw err;
  });
  const sides = [baseline, ours];
  let stopped = false;
  try {
    for (const side of sides) {
      progress(`engine: warm-up ${side.side}`);
      await side.run('warmup', e.warmup, 8);
    }
    const scenarios = [
      { label: 'c=1', concurrency: 1, n: e.atC1 },
      { label: 'c=32', concurrency: 32, n: e.atC32 },
    ];
    const results = [];
    for (const [k, sc] of scenarios.entries()) {
      const reps: Record<SideName, Figures[]> = { ours: [], baseline: [] };
      const outcomes: Record<SideName, Record<string, number>> = { ours: {}, baseline: {} };
      for (let r = 0; r < profile.reps; r++) {
        // Alternate which side goes first, so drift and warm caches favour neither.
        for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
          progress(`engine: ${sc.label} rep ${r + 1}/${profile.reps} ${side.side}`);
          const result = await side.run(`s${k}-r${r}`, sc.n, sc.concurrency);
          reps[side.side].push(figures(result));
          for (const [o, c] of Object.entries(result.outcomes)) outcomes[side.side][o] = (outcomes[side.side][o] ?? 0) + c;
        }
      }
      const vsBaseline = pairedRatio(reps.ours.map((f) => f.perSecond), reps.baseline.map((f) => f.perSecond));
      results.push({ ...sc, ours: medianOf(reps.ours), baseline: medianOf(reps.baseline), vsBaseline, reps, outcomes });
    }
    // Not measured: the compensation path works (each step failing in turn compensates the steps before it).
    const compensation: Record<string, number> = {};
    for (let failAt = 1; failAt <= STEP_COUNT; failAt++) {
      const r = await ours.run(`fail${failAt}`, 1, 1, failAt);
      for (const [o, c] of Object.entries(r.outcomes)) compensation[o] = (compensation[o] ?? 0) + c;
    }
    const cost = { baseline: await measureCost(ctx, baseline, e.cost), ours: await measureCost(ctx, ours, e.cost) };
    stopped = true;
    return report(ctx, results, compensation, cost);
  } finally {
    if (!stopped) for (const side of sides) await side.stop().catch(() => {});
  }
}

type Results = {
  label: string;
  concurrency: number;
  n: number;
  vsBaseline: number;
  ours: Figures;
  baseline: Figures;
  outcomes: Record<SideName, Record<string, number>>;
}[];

function report(
  ctx: BenchContext,
  results: Results,
  compensation: Record<string, number>,
  cost: Record<SideName, SideCost>,
): WorkloadResult {
  const { ours: o, baseline: b } = cost;
  const n = ctx.profile.engine.cost;
  const costLine =
    `per saga ours sends ${fmt(o.statements.total)} statements in ${fmt(o.commits)} commits, ` +
    `bare DBOS ${fmt(b.statements.total)} in ${fmt(b.commits)}`;
  const targets: TargetCheck[] = results.map((r) =>
    check(
      `engine throughput ${r.label} (4 commands-only steps, in-process)`,
      '>= 1.0x bare DBOS',
      `${r.vsBaseline.toFixed(2)}x (${fmt(r.ours.perSecond)} vs ${fmt(r.baseline.perSecond)} /s)`,
      r.vsBaseline >= 1.0,
      `${costLine}; p50 ${fmt(r.ours.p50)} vs ${fmt(r.baseline.p50)} ms`,
    ),
  );
  const row = (label: string, ov: number, bv: number) => [label, ov, ov / STEP_COUNT, bv, bv / STEP_COUNT, ratio(ov, bv)];
  const byTable = (c: SideCost) =>
    Object.entries(c.tables)
      .sort((x, y) => y[1] - x[1])
      .map(([t, v]) => `${t} ${fmt(v)}`)
      .join(', ');
  const tables: Table[] = [
    {
      title: `Workload engine: a ${STEP_COUNT}-step saga in-process, engine vs bare DBOS (median of ${ctx.profile.reps} reps)`,
      headers: ['case', 'n', 'ours /s', 'p50 ms', 'p99 ms', 'CPU ms', 'bare DBOS /s', 'p50 ms', 'p99 ms', 'CPU ms', 'ours/baseline'],
      rows: results.map((r) => [
        r.label,
        r.n,
        r.ours.perSecond,
        r.ours.p50,
        r.ours.p99,
        r.ours.cpuMsPerSaga,
        r.baseline.perSecond,
        r.baseline.p50,
        r.baseline.p99,
        r.baseline.cpuMsPerSaga,
        `${r.vsBaseline.toFixed(2)}x`,
      ]),
      notes: [
        `ours: SagaEngine as src/app.ts wires it (EventStore, SnapshotStore, StepExecutor), no HTTP, providers or read side; ` +
          `${STEP_COUNT} steps, each one command -> one event on its own counter aggregate, each with a commands-only compensation`,
        `bare DBOS: a workflow of ${STEP_COUNT} DBOS.runStep steps, each one pg INSERT (bench/baseline/workflow.ts)`,
        'latency: engine.start / DBOS.startWorkflow called -> the workflow\'s result from DBOS\'s in-process handle; ' +
          'c clients, each starting its next saga when its previous one has finished; each side in its own process and database',
        'ours/baseline: throughput ratio, median over the repetitions of each back-to-back pair (the side going first alternates)',
        'CPU ms: CPU time (user + system) of the side\'s node process per saga; Postgres runs on the same machine',
        `outcomes: ${results.map((r) => `${r.label} ours ${describeOutcomes(r.outcomes.ours)}, bare DBOS ${describeOutcomes(r.outcomes.baseline)}`).join('; ')}`,
        `compensation check (not timed; step k of ${STEP_COUNT} fails, k = 1..${STEP_COUNT}): ${describeOutcomes(compensation)}`,
      ],
    },
    {
      title: `Workload engine: what one saga costs (${STEP_COUNT} steps, ${n} sagas one at a time)`,
      headers: ['per saga', 'ours', 'per step', 'bare DBOS', 'per step', 'ours/baseline'],
      rows: [
        row('SQL statements sent (round trips)', o.statements.total, b.statements.total),
        row('  in transactions touching dbos.*', o.statements.dbos, b.statements.dbos),
        row('  other', o.statements.app + o.statements.readSide, b.statements.app + b.statements.readSide),
        row('transactions (as the process formed them)', o.transactions.total, b.transactions.total),
        row('transactions committed (pg_stat_database)', o.commits, b.commits),
        row('rows inserted', o.inserted, b.inserted),
        row('rows updated', o.updated, b.updated),
        row('rows deleted', o.deleted, b.deleted),
        row('CPU ms of the side\'s node process', o.cpuMsPerSaga, b.cpuMsPerSaga),
        row('Postgres execution ms (pg_stat_statements)', serverMs(o), serverMs(b)),
      ],
      notes: [
        'statements and transactions: counted in the side\'s process (lib/count-queries.ts), a statement outside BEGIN/COMMIT is ' +
          'its own transaction; a saga step\'s transaction writes DBOS\'s checkpoint too, so it counts under dbos.*',
        'commits and rows: pg_stat_database deltas across a restart of the side\'s process, minus an idle start/stop',
        `rows written per saga by table, ours: ${byTable(o)}`,
        `rows written per saga by table, bare DBOS: ${byTable(b)}`,
        `outcomes of the measured sagas: ours ${describeOutcomes(o.outcomes)}, bare DBOS ${describeOutcomes(b.outcomes)}`,
      ],
    },
    stepTimeTable('Workload engine', o, b),
  ];
  for (const [who, c] of [['ours', o], ['bare DBOS', b]] as const) {
    if (!c.byStatement) continue;
    const shown = c.byStatement.filter((s) => s.callsPer >= 0.05);
    tables.push({
      title: `Workload engine: ${who}, every statement per saga (pg_stat_statements, top-level, by calls)`,
      headers: ['statement', 'calls/saga', 'mean ms', 'ms/saga'],
      rows: [
        ...shown.map((s) => [s.query.slice(0, 100), s.callsPer, s.meanMs, s.msPer]),
        ['total', sumBy(c.byStatement, 'callsPer'), undefined, sumBy(c.byStatement, 'msPer')],
      ],
      notes: ['server time only; the full statements are in the JSON results'],
    });
  }
  return {
    name: 'engine',
    tables,
    targets,
    data: { scenarios: results, compensation, cost: { ...cost, sagas: n } },
  };
}

const serverMs = (c: SideCost) => (c.byStatement ? sumBy(c.byStatement, 'msPer') : NaN);
const sumBy = <K extends string>(rows: Record<K, number>[], key: K) => rows.reduce((a, r) => a + r[key], 0);
