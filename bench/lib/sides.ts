import { startServer, type ServerChild, type StartOptions } from './child';
import { CompletionWaiter } from './completion';
import type { BenchContext } from './profile';
import type { BenchDb } from './postgres';
import { stockSkus, type SagaTarget } from './saga-driver';

/**
 * One side of a saga comparison: a server child on its own fresh database,
 * with the completion trigger installed, ready for the driver.
 */
export interface Side extends SagaTarget {
  db: BenchDb;
  /** Start the same server again (same database, port and executor id), with `env` changed. */
  restart(env?: Record<string, string>): Promise<ServerChild>;
  close(): Promise<void>;
}

export async function openSide(
  ctx: BenchContext,
  side: 'ours' | 'baseline',
  label: string,
  env: Record<string, string> = {},
): Promise<Side> {
  const db = await ctx.server.createDatabase(label);
  const options: StartOptions = { name: label, entry: side, databaseUrl: db.url, env };
  const server = await startServer(options);
  options.port = server.port;
  const waiter = await CompletionWaiter.install(db);
  if (side === 'ours') await stockSkus(server);
  const s: Side = {
    side,
    db,
    server,
    waiter,
    async restart(changed = {}) {
      s.server = await startServer({ ...options, env: { ...env, ...changed } });
      return s.server;
    },
    async close() {
      await s.server.stop();
      await waiter.close();
    },
  };
  return s;
}
