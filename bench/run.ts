/**
 * npm run bench                 the full run (under ten minutes)
 * npm run bench -- --quick      the same workloads, smaller (under two minutes)
 * npm run bench -- --only=engine,sagas    a subset (names below)
 *
 * Uses DATABASE_URL when set, otherwise its own embedded PostgreSQL; every
 * workload works in fresh databases of its own. Prints the machine, then each
 * workload's tables, then the targets (met / MISSED), and writes everything to
 * bench/results/<date>-<mode>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { killAllChildren } from './lib/child';
import { busyShare, describeMachine, machineInfo } from './lib/machine';
import { openBenchServer } from './lib/postgres';
import { FULL, QUICK, type BenchContext } from './lib/profile';
import { renderTable, targetsTable, type WorkloadResult } from './lib/report';
import { appendWorkload } from './workloads/appends';
import { engineWorkload } from './workloads/engine';
import { growthWorkload } from './workloads/growth';
import { lagWorkload } from './workloads/projection-lag';
import { recoveryWorkload } from './workloads/recovery';
import { sagaWorkload } from './workloads/sagas';
import { temporalWorkload } from './workloads/temporal';

const WORKLOADS: Record<string, (ctx: BenchContext) => Promise<WorkloadResult>> = {
  engine: engineWorkload,
  sagas: sagaWorkload,
  appends: appendWorkload,
  lag: lagWorkload,
  recovery: recoveryWorkload,
  temporal: temporalWorkload,
  growth: growthWorkload,
};

async function main(): Promise<number> {
  const profile = process.argv.includes('--quick') ? QUICK : FULL;
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
  const unknown = only?.filter((name) => !WORKLOADS[name]);
  if (unknown?.length) throw new Error(`unknown workload(s) ${unknown.join(', ')}; known: ${Object.keys(WORKLOADS).join(', ')}`);

  const started = Date.now();
  const progress = (message: string) =>
    process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${message}\n`);
  progress(process.env.DATABASE_URL ? 'using DATABASE_URL' : 'starting an embedded PostgreSQL for the bench');
  const server = await openBenchServer();
  const onSignal = () => {
    killAllChildren();
    void server.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const results: (WorkloadResult & { seconds: number; busyBefore: number; error?: string })[] = [];
  try {
    const machine = await machineInfo(server.admin, server.kind === 'embedded' ? 'embedded' : 'DATABASE_URL');
    console.log(`saga-orchestrator benchmarks, ${profile.mode} run\n${describeMachine(machine)}`);
    const ctx: BenchContext = { server, profile, progress };
    for (const [name, workload] of Object.entries(WORKLOADS)) {
      if (only && !only.includes(name)) continue;
      // CPU in use while the bench itself is idle: other work on the machine moves every figure.
      const busyBefore = await busyShare();
      const t0 = Date.now();
      try {
        const result = await workload(ctx);
        results.push({ ...result, seconds: (Date.now() - t0) / 1000, busyBefore });
        for (const table of result.tables) console.log(renderTable(table));
      } catch (err) {
        // One broken workload must not hide the others' figures.
        const error = (err as Error).stack ?? String(err);
        results.push({ name, tables: [], targets: [], data: null, seconds: (Date.now() - t0) / 1000, busyBefore, error });
        console.log(`\nWorkload ${name} FAILED: ${error}`);
      }
    }
    const targets = results.flatMap((r) => r.targets);
    const seconds = (Date.now() - started) / 1000;
    console.log(renderTable(targetsTable(targets)));
    console.log(
      `\n${targets.filter((t) => t.met).length} of ${targets.length} targets met; ` +
        `${profile.mode} run took ${seconds.toFixed(0)} s`,
    );
    const busy = results.map((r) => `${r.name} ${(r.busyBefore * 100).toFixed(0)}%`).join(', ');
    console.log(`CPU in use before each workload, the bench idle: ${busy}`);
    if (results.some((r) => r.busyBefore > 0.25)) {
      console.log('WARNING: something else was using the CPU during this run (or Postgres was still busy): figures are noisy');
    }

    const dir = path.resolve(__dirname, 'results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${machine.date.replace(/[:.]/g, '-')}-${profile.mode}.json`);
    const json = { machine, mode: profile.mode, profile, seconds, targets, workloads: results };
    writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`results: ${path.relative(process.cwd(), file)}`);
    return results.some((r) => r.error) ? 1 : 0;
  } finally {
    killAllChildren();
    await server.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    killAllChildren();
    process.exit(1);
  },
);
