import { DBOS } from '@dbos-inc/dbos-sdk';
import type { Config } from '../config';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded';
import { migrate } from './migrate';
import { createPool, ensureDatabase, withIdleTransactionTimeout, type Pool } from './pool';

export interface Database {
  url: string;
  pool: Pool;
  /** True when this process started its own embedded PostgreSQL. */
  embedded: boolean;
  close(): Promise<void>;
}

/**
 * The configured database (DATABASE_URL), or an embedded PostgreSQL under
 * .data/ when none is configured. Creates the database if missing and applies
 * migrations before anyone uses it.
 */
export async function openDatabase(config: Config, log: (msg: string) => void = () => {}): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let url = config.databaseUrl;
  if (!url) {
    log(`no DATABASE_URL: starting embedded PostgreSQL on port ${config.embedded.port} (${config.embedded.dataDir})`);
    embedded = await startEmbeddedPostgres({
      dataDir: config.embedded.dataDir,
      port: config.embedded.port,
      database: 'saga',
    });
    url = embedded.url;
  }
  await ensureDatabase(url);
  // A transaction left idle longer than this belongs to a process that stopped: see withIdleTransactionTimeout.
  url = withIdleTransactionTimeout(url, Math.max(config.fleetLeaseMs, 5_000));
  const pool = createPool(url, config.poolSize);
  try {
    // DBOS's system tables live in the same database (schema `dbos`); launch then skips its own migration.
    const ran = await migrate(pool, undefined, () => DBOS.migrate(url!));
    if (ran.length) log(`applied migrations: ${ran.join(', ')}`);
  } catch (err) {
    await pool.end();
    await embedded?.stop();
    throw err;
  }
  return {
    url,
    pool,
    embedded: embedded !== undefined,
    async close() {
      await pool.end();
      await embedded?.stop();
    },
  };
}
