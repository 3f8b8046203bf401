import { diff, dbCounters, perUnit, statementsByCalls, statementStats, topStatements, type DbCounters } from '../lib/pg-counters';
import type { Category } from '../lib/count-queries';
import { waitForServerBackendsGone, type BenchDb } from '../lib/postgres';
import type { BenchContext } from '../lib/profile';
import { fmt, ratio, type Table } from '../lib/report';
import { runSagas, STEPS } from '../lib/saga-driver';
import type { Side } from '../lib/sides';

/**
 * Workload 1, part 2: what one happy-path saga costs, on each side.
 *
 * Statements: counted in the server process (every pg query call, see
 * lib/count-queries.ts). Commits and rows: pg_stat_database deltas. Postgres
 * publishes a backend's counters lazily, at the latest when it exits, so the
 * counters are read with the server stopped: before, after an idle start/stop
 * (its own cost, subtracted), and after a start, N sagas and a stop.
 */
export interface StepTime {
  name: string;
  ms: number;
}

type Split = Record<Category | 'total', number>;

interface SideCost {
  /** Round trips, split by who sent them (lib/count-queries.ts). */
  statements: Split;
  /** Transactions as the server process formed them, same split. */
  transactions: Split;
  /** Commits Postgres counted (pg_stat_database). */
  commits: number;
  inserted: number;
  updated: number;
  deleted: number;
  tables: Record<string, number>;
  steps: StepTime[];
  workflowMs: number;
  topStatements: ReturnType<typeof topStatements> | null;
  /** Every statement, per saga, most calls first (pg_stat_statements). */
  byCalls: ReturnType<typeof statementsByCalls> | null;
}

async function stopAndRead(ctx: BenchContext, side: Side): Promise<DbCounters> {
  await side.server.stop();
  await waitForServerBackendsGone(ctx.server.admin, side.db);
  return dbCounters(ctx.server.admin, side.db);
}

/** Mean time of each DBOS step of the given workflows, in step order, and of the workflows start to finish. */
export async function stepTimes(db: BenchDb, ids: string[]): Promise<{ steps: StepTime[]; workflowMs: number }> {
  const steps = await db.pool.query<StepTime>(
    `/* bench */ SELECT function_name AS name, avg(completed_at_epoch_ms - started_at_epoch_ms)::float8 AS ms
       FROM dbos.operation_outputs WHERE workflow_uuid = ANY($1) GROUP BY function_name ORDER BY min(function_id)`,
    [ids],
  );
  const wf = await db.pool.query<{ ms: number }>(
    `/* bench */ SELECT avg(updated_at - created_at)::float8 AS ms FROM dbos.workflow_status WHERE workflow_uuid = ANY($1)`,
    [ids],
  );
  return { steps: steps.rows, workflowMs: wf.rows[0].ms };
}

async function measure(ctx: BenchContext, side: Side, n: number): Promise<SideCost> {
  ctx.progress(`w1: cost of one saga, ${side.side}`);
  const before = await stopAndRead(ctx, side);
  await side.restart();
  const afterIdle = await stopAndRead(ctx, side);
  const server = await side.restart();
  const s0 = await statementStats(side.db);
  const q0 = await server.counts();
  const run = await runSagas(side, { label: 'cost', n, concurrency: 1 });
  const q1 = await server.counts();
  const s1 = await statementStats(side.db);
  const times = await stepTimes(side.db, run.ids);
  const per = perUnit(afterIdle, await stopAndRead(ctx, side), diff(before, afterIdle), n);
  // The bench's own queries are marked; they are not the saga's.
  const top = s0 && s1 ? topStatements(s0, s1, n, 40).filter((s) => !s.query.includes('/* bench */')).slice(0, 30) : null;
  return {
    statements: split(q0.statements, q1.statements, n),
    transactions: split(q0.transactions, q1.transactions, n),
    commits: per.commits,
    inserted: per.inserted,
    updated: per.updated,
    deleted: per.deleted,
    tables: per.tables,
    ...times,
    topStatements: top,
    byCalls: s0 && s1 ? statementsByCalls(s0, s1, n) : null,
  };
}

export async function sagaCost(ctx: BenchContext, sides: Side[]) {
  const n = ctx.profile.sagas.cost;
  const [baseline, ours] = [await measure(ctx, sides[0], n), await measure(ctx, sides[1], n)];
  // Both servers are stopped now; closing a side again is harmless.

  const row = (label: string, o: number, b: number) => [label, o, o / STEPS.ok, b, b / STEPS.ok, ratio(o, b)];
  const byTable = (c: SideCost) =>
    Object.entries(c.tables)
      .sort((x, y) => y[1] - x[1])
      .map(([t, v]) => `${t} ${fmt(v)}`)
      .join(', ');
  const tables: Table[] = [
    {
      title:
        `Workload 1: what one saga costs (happy path, ${STEPS.ok} saga steps: ours ${ours.steps.length} DBOS steps, ` +
        `bare DBOS ${baseline.steps.length}; ${n} sagas one at a time)`,
      headers: ['per saga', 'ours', 'per step', 'bare DBOS', 'per step', 'ours/baseline'],
      rows: [
        row('SQL statements sent (round trips)', ours.statements.total, baseline.statements.total),
        row('  no dbos.* table: HTTP, provider calls', ours.statements.app, baseline.statements.app),
        row('  touching dbos.*: DBOS, our step txns', ours.statements.dbos, baseline.statements.dbos),
        row('  read side: projections, process mgrs', ours.statements.readSide, baseline.statements.readSide),
        row('transactions (as the server formed them)', ours.transactions.total, baseline.transactions.total),
        row('  no dbos.* table', ours.transactions.app, baseline.transactions.app),
        row('  touching dbos.*', ours.transactions.dbos, baseline.transactions.dbos),
        row('  read side', ours.transactions.readSide, baseline.transactions.readSide),
        row('transactions committed (pg_stat_database)', ours.commits, baseline.commits),
        row('rows inserted', ours.inserted, baseline.inserted),
        row('rows updated', ours.updated, baseline.updated),
        row('rows deleted', ours.deleted, baseline.deleted),
      ],
      notes: [
        'statements and transactions: counted in the server process, each transaction attributed by the tables it touches ' +
          '(its BEGIN/COMMIT included); everything the process does while the sagas run counts, background polling too; ' +
          'a saga step is one transaction that also writes DBOS\'s checkpoint, so it counts under dbos.*',
        'per step: divided by the saga\'s steps (6), not by DBOS steps',
        'commits and rows: pg_stat_database deltas across a server restart, minus an idle start/stop',
        `rows written per saga by table, ours: ${byTable(ours)}`,
        `rows written per saga by table, bare DBOS: ${byTable(baseline)}`,
      ],
    },
    {
      ...stepTimeTable('Workload 1', ours, baseline),
      notes: ['start -> finish minus the steps is DBOS bookkeeping between them: checkpoints, workflow status, scheduling'],
    },
  ];
  for (const [who, cost] of [['ours', ours], ['bare DBOS', baseline]] as const) {
    if (!cost.topStatements) continue;
    tables.push({
      title: `Workload 1: ${who}, statements by server time per saga (pg_stat_statements, top-level statements)`,
      headers: ['statement', 'calls/saga', 'mean ms', 'ms/saga'],
      rows: cost.topStatements.slice(0, 6).map((s) => [s.query.slice(0, 90), s.callsPer, s.meanMs, s.msPer]),
      notes: ['the full list is in the JSON results'],
    });
  }
  for (const [who, cost] of [['ours', ours], ['bare DBOS', baseline]] as const) {
    if (!cost.byCalls) continue;
    const shown = cost.byCalls.slice(0, 25);
    tables.push({
      title: `Workload 1: ${who}, where the statements go (pg_stat_statements, top-level, calls per saga, most first)`,
      headers: ['statement', 'calls/saga', 'mean ms', 'ms/saga'],
      rows: [
        ...shown.map((s) => [s.query.slice(0, 100), s.callsPer, s.meanMs, s.msPer]),
        [`total (${cost.byCalls.length} distinct statements)`, cost.byCalls.reduce((a, s) => a + s.callsPer, 0), undefined, cost.byCalls.reduce((a, s) => a + s.msPer, 0)],
      ],
      notes: ['every connection to the database counts: the saga path, DBOS, the read side\'s polling; the full list is in the JSON results'],
    });
  }
  return { ours, baseline, tables, data: { ours, baseline, sagas: n } };
}

function split(before: Record<Category, number>, after: Record<Category, number>, n: number): Split {
  const d = (k: Category) => (after[k] - before[k]) / n;
  return { app: d('app'), dbos: d('dbos'), readSide: d('readSide'), total: d('app') + d('dbos') + d('readSide') };
}

const sum = (steps: StepTime[]) => steps.reduce((a, s) => a + s.ms, 0);

/** Mean ms per DBOS step at c=1, ours beside the baseline's, for a workload's "where the time goes" table. */
export function stepTimeTable(workload: string, ours: { steps: StepTime[]; workflowMs: number }, baseline: { steps: StepTime[]; workflowMs: number }) {
  return {
    title: `${workload}: where one saga's time goes (mean ms per DBOS step at c=1, from dbos.operation_outputs)`,
    headers: ['ours: step', 'ms', 'bare DBOS: step', 'ms'],
    rows: [
      ...Array.from({ length: Math.max(ours.steps.length, baseline.steps.length) }, (_, i) => [
        ours.steps[i]?.name,
        ours.steps[i]?.ms,
        baseline.steps[i]?.name,
        baseline.steps[i]?.ms,
      ]),
      ['sum of steps', sum(ours.steps), 'sum of steps', sum(baseline.steps)],
      ['workflow start -> finish', ours.workflowMs, 'workflow start -> finish', baseline.workflowMs],
    ],
  };
}
