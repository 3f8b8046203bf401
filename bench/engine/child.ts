/**
 * One side of workload engine, in its own process (DBOS is a per-process
 * singleton): ENGINE_SIDE=ours runs the saga engine wired as src/app.ts wires
 * it (event store, registry, snapshots, executor, engine registered before
 * DBOS.launch) without HTTP, providers or the read side; ENGINE_SIDE=baseline
 * runs the bare-DBOS workflow of bench/baseline/workflow.ts. Both start their
 * workflows in-process and await the handle DBOS.startWorkflow returns
 * (engine.start hands it back): no HTTP, no polling.
 *
 * Driven over the IPC channel (bench/lib/child.ts startWorker):
 *   → { type: 'run', id, label, n, concurrency, failAt? }  ← { type: 'result', id, result }
 * and 'bench:counts' (bench/lib/count-queries.ts, preloaded). SIGTERM shuts
 * down gracefully.
 */
import { DBOS } from '@dbos-inc/dbos-sdk';
import { EnvSchema } from '../../src/config';
import { createPool } from '../../src/db/pool';
import { EventRegistry, EventStore, SnapshotStore } from '../../src/eventstore';
import { createLogger } from '../../src/log';
import { SagaEngine } from '../../src/saga/engine';
import { sagaEvents } from '../../src/saga/events';
import { StepExecutor } from '../../src/saga/executor';
import { launchBaseline } from '../baseline/workflow';
import { now, summarize, type Summary } from '../lib/stats';
import { STEP_COUNT, benchEvents, benchSaga } from './saga';

export interface RunRequest {
  type: 'run';
  id: number;
  label: string;
  n: number;
  concurrency: number;
  /** Ours only: make this step fail, so the saga compensates (a check, not a measurement). */
  failAt?: number;
}

export interface RunResult {
  ids: string[];
  seconds: number;
  perSecond: number;
  /** engine.start / DBOS.startWorkflow called → the workflow's result, ms. */
  latency: Summary;
  /** How the workflows ended: COMPLETED / COMPENSATED (ours), SUCCESS (baseline), or the error. */
  outcomes: Record<string, number>;
  /** CPU time of this process (user + system) per workflow, ms: everything it did meanwhile, DBOS's background loops too. */
  cpuMsPerSaga: number;
}

type Start = (id: string, failAt: number) => Promise<{ getResult(): Promise<unknown> }>;

async function ours(url: string): Promise<{ start: Start; close(): Promise<void> }> {
  // The service's own defaults (pool size, snapshots, retries, recovery, deadline).
  const env = EnvSchema.parse({});
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const pool = createPool(url, env.DB_POOL_SIZE);
  const store = new EventStore(pool, new EventRegistry([...sagaEvents, ...benchEvents]));
  const executor = new StepExecutor({
    store,
    snapshots: new SnapshotStore(pool, env.SNAPSHOT_EVERY),
    log,
    retry: { maxAttempts: env.STEP_MAX_ATTEMPTS, baseDelayMs: env.STEP_RETRY_BASE_MS, maxDelayMs: 5_000 },
  });
  const engine = new SagaEngine(
    store,
    executor,
    { rounds: env.RECOVERY_ROUNDS, roundDelayMs: env.RECOVERY_ROUND_DELAY_MS },
    env.SAGA_DEADLINE_SECONDS,
  );
  engine.register(benchSaga);
  DBOS.setConfig({
    name: 'bench-engine',
    systemDatabaseUrl: url,
    applicationVersion: 'bench-engine-v1',
    executorID: process.env.DBOS_EXECUTOR_ID ?? 'bench-engine',
    logLevel: process.env.LOG_LEVEL ?? 'warn',
  });
  await DBOS.launch();
  return {
    start: (id, failAt) => engine.start(benchSaga.type, id, { failAt }),
    async close() {
      await DBOS.shutdown();
      await pool.end();
    },
  };
}

async function baseline(url: string): Promise<{ start: Start; close(): Promise<void> }> {
  const b = await launchBaseline(url);
  return { start: (id) => b.start(id, STEP_COUNT), close: () => b.close() };
}

function outcomeOf(result: unknown): string {
  if (result && typeof result === 'object' && 'status' in result) return String((result as { status: unknown }).status);
  return 'SUCCESS';
}

/** `concurrency` clients, each starting its next workflow when its previous one has finished. */
async function runBatch(start: Start, req: RunRequest): Promise<RunResult> {
  const ids = Array.from({ length: req.n }, (_, i) => `${req.label}-${i}`);
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  let next = 0;
  const cpu = process.cpuUsage();
  const started = now();
  let last = started;
  const client = async () => {
    for (let i = next++; i < req.n; i = next++) {
      const sent = now();
      let outcome: string;
      try {
        const handle = await start(ids[i], req.failAt ?? 0);
        outcome = outcomeOf(await handle.getResult());
      } catch (err) {
        outcome = `error: ${(err as Error).message}`;
      }
      const done = now();
      latencies.push(done - sent);
      last = Math.max(last, done);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: req.concurrency }, client));
  const used = process.cpuUsage(cpu);
  const seconds = (last - started) / 1000;
  const cpuMsPerSaga = (used.user + used.system) / 1000 / req.n;
  return { ids, seconds, perSecond: req.n / seconds, latency: summarize(latencies), outcomes, cpuMsPerSaga };
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL!;
  const side = process.env.ENGINE_SIDE;
  if (side !== 'ours' && side !== 'baseline') throw new Error(`ENGINE_SIDE must be ours or baseline, not ${side}`);
  const running = side === 'ours' ? await ours(url) : await baseline(url);

  process.on('message', (message: RunRequest | string) => {
    if (typeof message !== 'object' || message.type !== 'run') return;
    runBatch(running.start, message).then(
      (result) => process.send?.({ type: 'result', id: message.id, result }),
      (err: Error) => process.send?.({ type: 'result', id: message.id, error: err.stack ?? String(err) }),
    );
  });
  const stop = async () => {
    await running.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  process.send?.({ type: 'ready' });
}

main().catch((err) => {
  console.error(err);
  process.send?.({ type: 'fatal', error: (err as Error).stack ?? String(err) });
  process.exit(1);
});
