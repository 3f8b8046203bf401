/**
 * The bare-DBOS baseline's workflow: what DBOS alone costs. `steps` DBOS
 * steps, each inserting one row with pg. Shared by the HTTP baseline server
 * (workload sagas) and the in-process baseline of workload engine.
 */
import { DBOS } from '@dbos-inc/dbos-sdk';
import pg from 'pg';

export interface Baseline {
  pool: pg.Pool;
  /** Start one workflow of `steps` steps with `id` as its workflow id; resolves with DBOS's handle. */
  start(id: string, steps: number): Promise<{ getResult(): Promise<unknown> }>;
  close(): Promise<void>;
}

let pool: pg.Pool | undefined;

async function insertRow(workflowId: string, step: number): Promise<void> {
  // A row about the size of one of our events.
  await pool!.query('INSERT INTO bench_rows (workflow_id, step, data) VALUES ($1, $2, $3)', [
    workflowId,
    step,
    JSON.stringify({ step, note: 'one application row per step' }),
  ]);
}

async function baselineWorkflow(steps: number): Promise<{ steps: number }> {
  for (let step = 1; step <= steps; step++) {
    await DBOS.runStep(() => insertRow(DBOS.workflowID!, step), { name: `step${step}` });
  }
  return { steps };
}

/** Register the workflow, create the table, configure and launch DBOS on `url` (its system database is the same database). */
export async function launchBaseline(url: string): Promise<Baseline> {
  const workflow = DBOS.registerWorkflow(baselineWorkflow, { name: 'bench.baseline' });
  pool = new pg.Pool({ connectionString: url, max: 10 });
  await pool.query(`CREATE TABLE IF NOT EXISTS bench_rows (
    workflow_id text NOT NULL, step integer NOT NULL, data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (workflow_id, step))`);
  DBOS.setConfig({
    name: 'bench-baseline',
    systemDatabaseUrl: url,
    applicationVersion: 'bench-baseline-v1',
    executorID: process.env.DBOS_EXECUTOR_ID ?? 'bench-baseline',
    logLevel: process.env.LOG_LEVEL ?? 'warn',
  });
  await DBOS.launch();
  const p = pool;
  return {
    pool: p,
    start: (id, steps) => DBOS.startWorkflow(workflow, { workflowID: id })(steps),
    async close() {
      await DBOS.shutdown();
      await p.end();
    },
  };
}
