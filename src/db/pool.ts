import pg from 'pg';

// bigint (int8) columns arrive as strings by default; our positions and
// versions fit comfortably in a double, so parse them as numbers. xid8 stays a
// string (it is only compared and handed back to Postgres).
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export function createPool(url: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  // A client that loses its connection emits 'error': on the pool while idle,
  // on the client itself while checked out (say, idle in a transaction that
  // the server ended). Without a listener either would crash the process; the
  // next query on that client fails instead, and is retried by its caller.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/**
 * `url` with `idle_in_transaction_session_timeout` set for every session it
 * opens (libpq `options`). A process that stops mid-transaction (SIGSTOP, a
 * VM paused) would otherwise hold its row and advisory locks until it wakes,
 * blocking whoever took its work over; this way PostgreSQL ends that
 * transaction. Set in the URL, so DBOS's pool gets it too (and skips the SET
 * it would otherwise send on each new connection).
 */
export function withIdleTransactionTimeout(url: string, ms: number): string {
  const parsed = new URL(url);
  const options = parsed.searchParams.get('options') ?? '';
  if (options.includes('idle_in_transaction_session_timeout')) return url;
  parsed.searchParams.set('options', `${options} -c idle_in_transaction_session_timeout=${Math.round(ms)}`.trim());
  return parsed.toString();
}

/** Run `fn` in one transaction on a dedicated client. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Create `database` on the server behind `url` if it does not exist yet. */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04' && err.code !== '23505') throw err; // created meanwhile by a sibling
      });
    }
  } finally {
    await client.end();
  }
}
