import { randomBytes } from 'node:crypto';
import { freePort } from '../../scripts/server-process';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded';
import { migrate } from '../../src/db/migrate';
import { createPool, type Pool } from '../../src/db/pool';

/**
 * The Postgres server the bench runs against: DATABASE_URL when set, otherwise
 * a fresh embedded cluster of its own. Either way every workload gets fresh
 * databases named bench_<run>_<label>, dropped at the end: user data is never
 * touched.
 */
export interface BenchServer {
  kind: 'DATABASE_URL' | 'embedded';
  /** Statement statistics are available (the extension is preloaded). */
  statStatements: boolean;
  /** Transactions' commit times are kept (track_commit_timestamp): lags are measured from an event's commit. */
  commitTimestamps: boolean;
  /** A connection to the server's maintenance database (pg_stat_database, CREATE DATABASE). */
  admin: Pool;
  createDatabase(label: string, options?: { migrate?: boolean }): Promise<BenchDb>;
  close(): Promise<void>;
}

export interface BenchDb {
  name: string;
  url: string;
  /** The bench's own connections to it (application_name "bench-driver"). */
  pool: Pool;
}

/** Connections of server children carry this name (except DBOS's, which it names itself). */
export const SERVER_APP_NAME = 'bench-server';
const DRIVER_APP_NAME = 'bench-driver';

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function driverPool(url: string, max: number): Pool {
  const u = new URL(url);
  u.searchParams.set('application_name', DRIVER_APP_NAME);
  return createPool(u.toString(), max);
}

export { freePort };

/**
 * The embedded cluster is the bench's own, so it may preload pg_stat_statements
 * and keep commit times (an ALTER SYSTEM and a restart). A server behind
 * DATABASE_URL is used as it is.
 */
async function startEmbedded(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dataDir = path.resolve(__dirname, '../../.data/bench-pg');
  const port = await freePort();
  let server: EmbeddedPostgres = await startEmbeddedPostgres({ dataDir, port, database: 'postgres', fresh: true });
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  await client.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`);
  await client.query(`ALTER SYSTEM SET track_commit_timestamp = on`);
  await client.end();
  await server.stop();
  server = await startEmbeddedPostgres({ dataDir, port, database: 'postgres' });
  return { url: server.url, stop: () => server.stop() };
}

export async function openBenchServer(): Promise<BenchServer> {
  const external = process.env.DATABASE_URL;
  const { url, stop } = external ? { url: external, stop: async () => {} } : await startEmbedded();
  const run = randomBytes(3).toString('hex');
  const admin = driverPool(withDatabase(url, 'postgres'), 4);
  const { rows } = await admin.query<{ libs: string; commits: string }>(
    `SELECT current_setting('shared_preload_libraries') AS libs, current_setting('track_commit_timestamp') AS commits`,
  );
  const statStatements = /\bpg_stat_statements\b/.test(rows[0].libs);
  const created: BenchDb[] = [];

  return {
    kind: external ? 'DATABASE_URL' : 'embedded',
    statStatements,
    commitTimestamps: rows[0].commits === 'on',
    admin,
    async createDatabase(label, options = {}) {
      const name = `bench_${run}_${label}`;
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      const dbUrl = withDatabase(url, name);
      const db: BenchDb = { name, url: dbUrl, pool: driverPool(dbUrl, 24) };
      created.push(db);
      if (statStatements) await db.pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      if (options.migrate) await migrate(db.pool);
      return db;
    },
    async close() {
      for (const db of created) {
        await db.pool.end().catch(() => {});
        if (!process.env.BENCH_KEEP_DATABASES) {
          await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(db.name)} WITH (FORCE)`).catch(() => {});
        }
      }
      await admin.end();
      await stop();
    },
  };
}

/**
 * Postgres counts a backend's activity in pg_stat_database when it flushes, at
 * the latest when it exits: wait until every connection but the bench's own
 * has gone (DBOS names its connections itself, so match on ours).
 */
export async function waitForServerBackendsGone(admin: Pool, db: BenchDb, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = $1 AND backend_type = 'client backend' AND application_name IS DISTINCT FROM $2`,
      [db.name, DRIVER_APP_NAME],
    );
    if (rows[0].n === 0) return;
    if (Date.now() > end) throw new Error(`server connections to ${db.name} did not close`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
