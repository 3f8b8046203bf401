import { check, fmt, type TargetCheck, type WorkloadResult } from '../lib/report';
import type { BenchContext } from '../lib/profile';
import { runSagas, sagaOutcomes, statusesOverHttp, STEPS, type SagaBatchResult } from '../lib/saga-driver';
import { medianOf, pairedRatio } from '../lib/stats';
import { sagaCost } from './saga-cost';
import { openSide } from '../lib/sides';

/**
 * Workload 1: the order-fulfillment saga end to end over HTTP against a bare
 * DBOS workflow with the same number of steps, each step one pg INSERT.
 * Repetitions alternate baseline / ours so drift (a neighbour, the database
 * growing) hits both sides alike.
 */
interface Scenario {
  label: string;
  concurrency: number;
  declinedEvery: number;
  n: number;
}

interface Figures extends Record<string, number> {
  perSecond: number;
  p50: number;
  p99: number;
  acceptP50: number;
}

const figures = (r: SagaBatchResult): Figures => ({
  perSecond: r.perSecond,
  p50: r.latency.p50,
  p99: r.latency.p99,
  acceptP50: r.accept.p50,
});

export async function sagaWorkload(ctx: BenchContext): Promise<WorkloadResult> {
  const { profile, progress } = ctx;
  const baseline = await openSide(ctx, 'baseline', 'w1_baseline');
  const ours = await openSide(ctx, 'ours', 'w1_ours');
  const sides = [baseline, ours];
  try {
    for (const side of sides) {
      progress(`w1: warm-up ${side.side}`);
      await runSagas(side, { label: 'warmup', n: profile.sagas.warmup, concurrency: 8, declinedEvery: 10 });
    }
    const scenarios: Scenario[] = [
      { label: 'c=1, all succeed', concurrency: 1, declinedEvery: 0, n: profile.sagas.atC1 },
      { label: 'c=1, 10% declined', concurrency: 1, declinedEvery: 10, n: profile.sagas.atC1 },
      { label: 'c=32, all succeed', concurrency: 32, declinedEvery: 0, n: profile.sagas.atC32 },
      { label: 'c=32, 10% declined', concurrency: 32, declinedEvery: 10, n: profile.sagas.atC32 },
    ];
    const results = [];
    for (const [k, sc] of scenarios.entries()) {
      const reps: Record<'ours' | 'baseline', Figures[]> = { ours: [], baseline: [] };
      const outcomes = { completed: 0, compensated: 0, notSucceeded: 0 };
      for (let r = 0; r < profile.reps; r++) {
        for (const side of sides) {
          progress(`w1: ${sc.label} rep ${r + 1}/${profile.reps} ${side.side}`);
          const batch = { label: `s${k}-r${r}`, n: sc.n, concurrency: sc.concurrency, declinedEvery: sc.declinedEvery };
          const result = await runSagas(side, batch);
          reps[side.side].push(figures(result));
          if (side === ours) {
            const o = await sagaOutcomes(ours.db, result.ids);
            outcomes.completed += o.completed;
            outcomes.compensated += o.compensated;
          }
          outcomes.notSucceeded += result.notSucceeded;
        }
      }
      const vsBaseline = pairedRatio(reps.ours.map((f) => f.perSecond), reps.baseline.map((f) => f.perSecond));
      results.push({ ...sc, ours: medianOf(reps.ours), baseline: medianOf(reps.baseline), vsBaseline, reps, outcomes });
    }
    const httpStatuses = await statusesOverHttp(ours.server, ['s0-r0-0', 's1-r0-9']);
    const cost = await sagaCost(ctx, sides);
    return report(ctx, results, httpStatuses, cost, ours.waiter.method);
  } finally {
    for (const side of sides) await side.close();
  }
}

type Results = (Scenario & {
  vsBaseline: number;
  ours: Figures;
  baseline: Figures;
  outcomes: { completed: number; compensated: number; notSucceeded: number };
})[];

function report(
  ctx: BenchContext,
  results: Results,
  httpStatuses: string[],
  cost: Awaited<ReturnType<typeof sagaCost>>,
  method: string,
): WorkloadResult {
  const o = cost.ours;
  const b = cost.baseline;
  const costNote =
    `per saga ours sends ${fmt(o.statements.total)} statements in ${fmt(o.commits)} commits, bare DBOS ${fmt(b.statements.total)} in ` +
    `${fmt(b.commits)}; of ours, the read side (consumers: projections, process managers) ${fmt(o.statements.readSide)} / ` +
    `${fmt(o.transactions.readSide)} transactions, HTTP and provider calls ${fmt(o.statements.app)} / ${fmt(o.transactions.app)}, ` +
    `transactions touching dbos.* (DBOS, and our ${STEPS.ok} steps' transactions) ${fmt(o.statements.dbos)} / ${fmt(o.transactions.dbos)}`;
  const targets: TargetCheck[] = results.map((r, i) => {
    const need = 0.6;
    const got = r.vsBaseline;
    return check(
      `W1 saga throughput ${r.label}`,
      `>= ${need}x bare DBOS`,
      `${got.toFixed(2)}x (${fmt(r.ours.perSecond)} vs ${fmt(r.baseline.perSecond)} /s)`,
      got >= need,
      i === 0 ? costNote : `p50 ${fmt(r.ours.p50)} vs ${fmt(r.baseline.p50)} ms`,
    );
  });
  // Half of what a saga cost before steps became one transaction each (211 statements in 123 commits).
  const [maxStatements, maxCommits] = [Math.floor(211 / 2), Math.floor(123 / 2)];
  targets.push(
    check(
      'W1 statements and commits per saga (happy path)',
      `<= half of 211 / 123 (<= ${maxStatements} statements, <= ${maxCommits} commits)`,
      `${fmt(o.statements.total)} statements, ${fmt(o.commits)} commits (bare DBOS ${fmt(b.statements.total)} / ${fmt(b.commits)})`,
      o.statements.total <= maxStatements && o.commits <= maxCommits,
      costNote,
    ),
  );
  targets.push(
    check(
      'W1 read-side cost per saga (c=1)',
      '<= 30 statements, <= 10 transactions',
      `${fmt(o.statements.readSide)} statements in ${fmt(o.transactions.readSide)} transactions`,
      o.statements.readSide <= 30 && o.transactions.readSide <= 10,
      'every consumer of the server process (projections, process managers): feed reads, read-model writes, checkpoints; ' +
        'one read per round shared by all, one transaction per round',
    ),
  );
  const outcomeNote = results
    .map((r) => `${r.label}: ${r.outcomes.completed} completed, ${r.outcomes.compensated} compensated, ${r.outcomes.notSucceeded} not SUCCESS`)
    .join('; ');
  return {
    name: 'sagas',
    tables: [
      {
        title: `Workload 1: saga throughput and latency, end to end over HTTP (median of ${ctx.profile.reps} reps)`,
        headers: ['case', 'n', 'ours /s', 'p50 ms', 'p99 ms', 'bare DBOS /s', 'p50 ms', 'p99 ms', 'ours/baseline'],
        rows: results.map((r) => [
          r.label,
          r.n,
          r.ours.perSecond,
          r.ours.p50,
          r.ours.p99,
          r.baseline.perSecond,
          r.baseline.p50,
          r.baseline.p99,
          `${r.vsBaseline.toFixed(2)}x`,
        ]),
        notes: [
          `latency: POST sent -> DBOS workflow finished, observed by ${method}. ` +
            `POST alone, p50 at c=1: ours ${fmt(results[0].ours.acceptP50)} ms, baseline ${fmt(results[0].baseline.acceptP50)} ms`,
          'ours/baseline: throughput ratio, median over the repetitions of each back-to-back pair',
          `baseline: a DBOS workflow of ${STEPS.ok} steps (${STEPS.declined} for the "declined" share, like a compensated saga), ` +
            `each step one pg INSERT, started over HTTP by the same driver; each side in its own process and database`,
          `orders spread over 64 SKUs; outcomes (ours, from the saga streams): ${outcomeNote}`,
          `GET /sagas/:id for two of them over HTTP: ${httpStatuses.join(', ')}`,
          `per saga (happy path, c=1): ours ${fmt(o.statements.total)} statements, ${fmt(o.commits)} commits; ` +
            `bare DBOS ${fmt(b.statements.total)} statements, ${fmt(b.commits)} commits (see the cost table below)`,
        ],
      },
      ...cost.tables,
    ],
    targets,
    data: { scenarios: results, cost: cost.data },
  };
}
