/**
 * The bare-DBOS baseline for workload 1: what DBOS alone costs. A workflow of
 * `steps` DBOS steps, each inserting one row with pg, started over HTTP the way
 * our POST /orders starts a saga (express, JSON body, the Idempotency-Key as the
 * workflow id, 202 once the workflow is started). Same process model, pool
 * sizes and Postgres as our server; none of our event store, deciders or
 * simulated providers.
 */
import { DBOS } from '@dbos-inc/dbos-sdk';
import express from 'express';
import pg from 'pg';

const url = process.env.DATABASE_URL!;
const pool = new pg.Pool({ connectionString: url, max: 10 });

async function insertRow(workflowId: string, step: number): Promise<void> {
  // A row about the size of one of our events.
  await pool.query('INSERT INTO bench_rows (workflow_id, step, data) VALUES ($1, $2, $3)', [
    workflowId,
    step,
    JSON.stringify({ step, note: 'one application row per step' }),
  ]);
}

const workflow = DBOS.registerWorkflow(
  async (steps: number) => {
    for (let step = 1; step <= steps; step++) {
      await DBOS.runStep(() => insertRow(DBOS.workflowID!, step), { name: `step${step}` });
    }
    return { steps };
  },
  { name: 'bench.baseline' },
);

async function main(): Promise<void> {
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

  const app = express();
  app.use(express.json());
  app.get('/health', (_req, res) => void res.json({ status: 'ok' }));
  app.post('/start', async (req, res) => {
    const id = req.header('idempotency-key')!;
    const steps = Number(req.body?.steps ?? 6);
    await DBOS.startWorkflow(workflow, { workflowID: id })(steps);
    res.status(202).json({ workflowId: id });
  });
  const server = app.listen(Number(process.env.PORT));

  const stop = async () => {
    await new Promise((resolve) => server.close(resolve));
    await DBOS.shutdown();
    await pool.end();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
