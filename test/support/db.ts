import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../src/db/migrate';
import { createPool, type Pool } from '../../src/db/pool';

export interface TestDatabase {
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

function serverUrl(): string {
  const url = process.env.TEST_DATABASE_SERVER;
  if (!url) throw new Error('TEST_DATABASE_SERVER is not set: run the tests through jest (global setup)');
  return url;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(serverUrl());
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database on the test server, dropped by `drop()`. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `t_${label.replace(/\W/g, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), 20);
  await migrate(pool);
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/**
 * The feed only shows transactions older than the oldest one still running
 * anywhere on the server (xids are cluster-wide), and test files run in
 * parallel on one server: wait until everything committed so far is visible.
 */
export async function feedCaughtUp(pool: Pool, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  const { rows } = await pool.query<{ txid: string }>('SELECT pg_current_xact_id()::text AS txid');
  for (;;) {
    const visible = await pool.query<{ ok: boolean }>('SELECT $1::xid8 < pg_snapshot_xmin(pg_current_snapshot()) AS ok', [rows[0].txid]);
    if (visible.rows[0].ok) return;
    if (Date.now() > end) throw new Error('the feed did not catch up: a transaction stays open on the server');
    await new Promise((r) => setTimeout(r, 20));
  }
}
