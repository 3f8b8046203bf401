import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Pool } from './pool';

/**
 * Applies `migrations/NNN_name.sql` in order, each in its own transaction,
 * recording what ran in `schema_migrations`. A session advisory lock makes two
 * processes that start together take turns: the second finds the work done.
 */
export const MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');

// Any constant works; it only has to be the same in every process.
const MIGRATION_LOCK_KEY = 0x5a6a_0001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .map((file) => {
      const sql = readFileSync(path.join(dir, file), 'utf8');
      return {
        version: Number(file.split('_')[0]),
        name: file.replace(/\.sql$/, ''),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    })
    .sort((a, b) => a.version - b.version);
}

/**
 * `alsoUnderLock` runs after our migrations, still holding the lock: DBOS's
 * own schema migration, which is not safe to run from several processes
 * starting at once ("tuple concurrently updated").
 */
export async function migrate(pool: Pool, dir = MIGRATIONS_DIR, alsoUnderLock?: () => Promise<void>): Promise<string[]> {
  const migrations = loadMigrations(dir);
  const client = await pool.connect();
  try {
    // Try, not wait: a session blocked in pg_advisory_lock holds a snapshot,
    // and DBOS's migration (CREATE INDEX CONCURRENTLY) waits for every such
    // snapshot, while the blocked session waits for us: a deadlock.
    while (!(await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [MIGRATION_LOCK_KEY])).rows[0].ok) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM schema_migrations',
    );
    const applied = new Map(rows.map((r) => [r.version, r]));
    const ran: string[] = [];
    for (const m of migrations) {
      const done = applied.get(m.version);
      if (done) {
        // An edited migration that already ran would leave databases diverging.
        if (done.checksum !== m.checksum) {
          throw new Error(`migration ${m.name} was changed after it was applied; add a new migration instead`);
        }
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          m.checksum,
        ]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.name} failed: ${(err as Error).message}`);
      }
      ran.push(m.name);
    }
    await alsoUnderLock?.();
    return ran;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    client.release();
  }
}
