/**
 * The bare-DBOS baseline for workload 1: what DBOS alone costs. A workflow of
 * `steps` DBOS steps, each inserting one row with pg (./workflow.ts), started
 * over HTTP the way our POST /orders starts a saga (express, JSON body, the
 * Idempotency-Key as the workflow id, 202 once the workflow is started). Same
 * process model, pool sizes and Postgres as our server; none of our event
 * store, deciders or simulated providers.
 */
import express from 'express';
import { launchBaseline } from './workflow';

async function main(): Promise<void> {
  const baseline = await launchBaseline(process.env.DATABASE_URL!);

  const app = express();
  app.use(express.json());
  app.get('/health', (_req, res) => void res.json({ status: 'ok' }));
  app.post('/start', async (req, res) => {
    const id = req.header('idempotency-key')!;
    const steps = Number(req.body?.steps ?? 6);
    await baseline.start(id, steps);
    res.status(202).json({ workflowId: id });
  });
  const server = app.listen(Number(process.env.PORT));

  const stop = async () => {
    await new Promise((resolve) => server.close(resolve));
    await baseline.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
