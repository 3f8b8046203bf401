import pg from 'pg';
import type { BenchDb } from './postgres';
import { now } from './stats';

/**
 * Knowing the moment a workflow finishes without polling the servers: a
 * trigger on DBOS's workflow_status (installed only in the bench's own
 * databases, once DBOS has created the table) NOTIFYs when a row reaches a
 * final status, and the bench LISTENs. Ours and the baseline are observed by
 * the same mechanism, and no status requests compete with the load measured.
 *
 * For our sagas DBOS marks the workflow finished right after the step that
 * commits SagaCompleted/SagaCompensated, so this is at most one checkpoint later
 * than the status GET /sagas/:id reports.
 *
 * BENCH_COMPLETION=poll polls workflow_status every 2 ms instead (no trigger),
 * to check that the trigger's NOTIFY does not favour one side.
 */
const CHANNEL = 'bench_workflow_done';

export interface Finished {
  at: number;
  status: string;
}

export class CompletionWaiter {
  private readonly finished = new Map<string, Finished>();
  private readonly waiting = new Map<string, (f: Finished) => void>();
  private polling?: NodeJS.Timeout;
  /** How completion is observed, for the report. */
  readonly method: string;

  private constructor(
    private readonly client: pg.Client,
    poll: boolean,
  ) {
    client.on('notification', (msg) => {
      const { id, status } = JSON.parse(msg.payload ?? '{}') as { id: string; status: string };
      this.done(id, status);
    });
    this.method = poll
      ? 'polling dbos.workflow_status every 2 ms (BENCH_COMPLETION=poll)'
      : 'a NOTIFY from a bench trigger on dbos.workflow_status, no polling';
    if (poll) void this.poll();
  }

  static async install(db: BenchDb): Promise<CompletionWaiter> {
    const poll = process.env.BENCH_COMPLETION === 'poll';
    if (!poll) await installTrigger(db);
    const url = new URL(db.url);
    url.searchParams.set('application_name', 'bench-driver');
    const client = new pg.Client({ connectionString: url.toString() });
    client.on('error', () => {});
    await client.connect();
    if (!poll) await client.query(`LISTEN ${CHANNEL}`);
    return new CompletionWaiter(client, poll);
  }

  /** Call before starting the workflow: a fast one may finish before its start request returns. */
  expect(id: string, timeoutMs = 120_000): Promise<Finished> {
    const done = this.finished.get(id);
    if (done) return Promise.resolve(done);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`workflow ${id} did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (f) => {
        clearTimeout(timer);
        resolve(f);
      });
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.polling);
    await this.client.end().catch(() => {});
  }

  private done(id: string, status: string): void {
    const done = { at: now(), status };
    const resolve = this.waiting.get(id);
    if (resolve) {
      this.waiting.delete(id);
      resolve(done);
    } else if (!this.finished.has(id)) {
      this.finished.set(id, done);
    }
  }

  private async poll(): Promise<void> {
    if (this.waiting.size > 0) {
      const { rows } = await this.client
        .query<{ id: string; status: string }>(
          `SELECT workflow_uuid AS id, status FROM dbos.workflow_status
            WHERE workflow_uuid = ANY($1) AND status NOT IN ('PENDING', 'ENQUEUED')`,
          [[...this.waiting.keys()]],
        )
        .catch(() => ({ rows: [] }));
      for (const r of rows) this.done(r.id, r.status);
    }
    this.polling = setTimeout(() => void this.poll(), 2);
  }
}

async function installTrigger(db: BenchDb): Promise<void> {
  await db.pool.query(`
    CREATE OR REPLACE FUNCTION bench_workflow_done() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('${CHANNEL}', json_build_object('id', NEW.workflow_uuid, 'status', NEW.status)::text);
      RETURN NULL;
    END $$`);
  await db.pool.query(`
    CREATE OR REPLACE TRIGGER bench_workflow_done AFTER INSERT OR UPDATE OF status ON dbos.workflow_status
      FOR EACH ROW WHEN (NEW.status NOT IN ('PENDING', 'ENQUEUED')) EXECUTE FUNCTION bench_workflow_done()`);
}
