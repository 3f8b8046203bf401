import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import type { QueryCounts } from './count-queries';
import { freePort, SERVER_APP_NAME } from './postgres';

/**
 * A server under test in its own process: our service (src/main.ts) or the
 * bare-DBOS baseline. DBOS is a per-process singleton, and separate processes
 * also keep the load generator's CPU out of the server's event loop.
 */
export interface ServerChild {
  name: string;
  url: string;
  port: number;
  env: Record<string, string>;
  /** SQL round trips this process has sent so far. */
  counts(): Promise<QueryCounts>;
  /** SIGTERM: a graceful shutdown (pools closed, so Postgres flushes its counters). */
  stop(): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../..');
export const LOG_DIR = path.join(ROOT, 'bench/results/logs');
export const ADMIN_TOKEN = 'bench-admin-token';
/** What a client presents: starting sagas and reading them need it. */
export const CLIENT_TOKEN = 'bench-client-token';

export const ENTRIES = {
  ours: 'src/main.ts',
  baseline: 'bench/baseline/server.ts',
} as const;

const live = new Set<ChildProcess>();
/** Never leave a server behind, whatever way the bench ends. */
export function killAllChildren(): void {
  for (const child of live) child.kill('SIGKILL');
}

export interface StartOptions {
  name: string;
  entry: keyof typeof ENTRIES;
  databaseUrl: string;
  port?: number;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export async function startServer(options: StartOptions): Promise<ServerChild> {
  const port = options.port ?? (await freePort());
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    DATABASE_URL: options.databaseUrl,
    PORT: String(port),
    ADMIN_TOKEN,
    CLIENT_TOKEN,
    DBOS_EXECUTOR_ID: `bench-${options.name}`,
    LOG_LEVEL: 'warn',
    PGAPPNAME: SERVER_APP_NAME,
    // Keep pg's "already executing a query" deprecation notice out of the logs.
    NODE_NO_WARNINGS: '1',
    // BENCH_READ_SIDE=off: measure our server as an orchestrator-only process.
    ...(options.entry === 'ours' && process.env.BENCH_READ_SIDE ? { READ_SIDE: process.env.BENCH_READ_SIDE } : {}),
    // BENCH_SAGA_DISPATCH=direct: sagas run where accepted, not through the DBOS queue.
    ...(options.entry === 'ours' && process.env.BENCH_SAGA_DISPATCH ? { SAGA_DISPATCH: process.env.BENCH_SAGA_DISPATCH } : {}),
    // CONSUMER_* (tuning of the read side) passes through to our server, to try settings.
    ...(options.entry === 'ours' ? Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('CONSUMER_')) as [string, string][]) : {}),
    ...options.env,
  };
  mkdirSync(LOG_DIR, { recursive: true });
  const log = openSync(path.join(LOG_DIR, `${options.name}.log`), 'a');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', './bench/lib/count-queries.ts', ENTRIES[options.entry]],
    { cwd: ROOT, env, stdio: ['ignore', log, log, 'ipc'] },
  );
  live.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => (live.delete(child), resolve(code))));
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url, exited, options.timeoutMs ?? 60_000).catch((err) => {
    child.kill('SIGKILL');
    throw new Error(`${options.name}: ${(err as Error).message} (see ${LOG_DIR}/${options.name}.log)`);
  });

  return {
    name: options.name,
    url,
    port,
    env,
    counts: () => askCounts(child, options.name),
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** SQL round trips a child has sent so far (lib/count-queries.ts answers). */
function askCounts(child: ChildProcess, name: string): Promise<QueryCounts> {
  return new Promise<QueryCounts>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: no answer to bench:counts`)), 5000);
    const onMessage = (m: { type?: string; counts?: QueryCounts }) => {
      if (m?.type !== 'bench:counts') return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m.counts!);
    };
    child.on('message', onMessage);
    child.send('bench:counts');
  });
}

/**
 * A worker in its own process without HTTP (bench/engine/child.ts): it says
 * { type: 'ready' } over IPC once it is up, and answers requests
 * { type, id, ... } with { type: 'result', id, result | error }.
 */
export interface WorkerChild {
  name: string;
  env: Record<string, string>;
  request<T>(message: { type: string } & Record<string, unknown>, timeoutMs?: number): Promise<T>;
  counts(): Promise<QueryCounts>;
  /** SIGTERM: a graceful shutdown (pools closed, so Postgres flushes its counters). */
  stop(): Promise<void>;
}

export interface WorkerOptions {
  name: string;
  /** Path from the repository root. */
  entry: string;
  databaseUrl: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export async function startWorker(options: WorkerOptions): Promise<WorkerChild> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    DATABASE_URL: options.databaseUrl,
    DBOS_EXECUTOR_ID: `bench-${options.name}`,
    LOG_LEVEL: 'warn',
    PGAPPNAME: SERVER_APP_NAME,
    NODE_NO_WARNINGS: '1',
    // CONSUMER_* (tuning of the read side) passes through to our server, to try settings.
    ...(options.entry === 'ours' ? Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('CONSUMER_')) as [string, string][]) : {}),
    ...options.env,
  };
  mkdirSync(LOG_DIR, { recursive: true });
  const log = openSync(path.join(LOG_DIR, `${options.name}.log`), 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './bench/lib/count-queries.ts', options.entry], {
    cwd: ROOT,
    env,
    stdio: ['ignore', log, log, 'ipc'],
  });
  live.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => (live.delete(child), resolve(code))));
  const fail = (why: string) => new Error(`${options.name}: ${why} (see ${LOG_DIR}/${options.name}.log)`);
  const timeoutMs = options.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => reject(fail(`not ready after ${timeoutMs} ms`)), timeoutMs);
    child.on('message', (m: { type?: string; error?: string }) => {
      if (m?.type === 'ready') resolve();
      if (m?.type === 'fatal') reject(fail(`failed to start: ${m.error}`));
    });
    void exited.then((code) => reject(fail(`exited with ${code} before it was ready`)));
  })
    .catch((err) => {
      child.kill('SIGKILL');
      throw err;
    })
    .finally(() => clearTimeout(timer));

  let nextId = 0;
  return {
    name: options.name,
    env,
    request<T>(message: { type: string } & Record<string, unknown>, timeoutMs = 600_000) {
      const id = ++nextId;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => (cleanup(), reject(fail(`no answer to ${message.type} within ${timeoutMs} ms`))), timeoutMs);
        const onExit = () => (cleanup(), reject(fail(`exited during ${message.type}`)));
        const onMessage = (m: { type?: string; id?: number; result?: T; error?: string }) => {
          if (m?.type !== 'result' || m.id !== id) return;
          cleanup();
          if (m.error) reject(fail(m.error));
          else resolve(m.result as T);
        };
        const cleanup = () => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send({ ...message, id });
      });
    },
    counts: () => askCounts(child, options.name),
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      if (code !== 0) throw fail(`exited with ${code} on SIGTERM`);
    },
  };
}

/** Polls GET /health until 200; fails early when the process exits. */
export async function waitHealthy(url: string, exited: Promise<unknown>, timeoutMs: number): Promise<void> {
  let dead = false;
  void exited.then(() => (dead = true));
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (dead) throw new Error('exited before it was healthy');
    const ok = await fetch(`${url}/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > end) throw new Error(`not healthy after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
