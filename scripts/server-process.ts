import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import path from 'node:path';

/**
 * The real server as a child process (`node --import tsx src/main.ts`), so a
 * test can SIGKILL it and start it again. Output goes to test-artifacts/.
 */
export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Resolves with the exit signal or code. */
  exited: Promise<string>;
  kill(): Promise<string>;
}

const ROOT = path.resolve(__dirname, '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Whether something accepts connections on the port (127.0.0.1). */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** `entry`: the script to run, relative to the repository (another entry registers more saga types). */
export async function startServer(env: Record<string, string>, logName: string, entry = 'src/main.ts'): Promise<ServerProcess> {
  mkdirSync(path.join(ROOT, 'test-artifacts'), { recursive: true });
  const log = createWriteStream(path.join(ROOT, 'test-artifacts', `${logName}.log`), { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<string>((resolve) =>
    child.on('close', (code, signal) => {
      log.end();
      resolve(signal ?? String(code));
    }),
  );
  const url = `http://127.0.0.1:${env.PORT}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (up) break;
    if (child.exitCode !== null || child.signalCode !== null) {
      // It may have crashed on purpose while recovering (a crash point): report it.
      return { url, child, exited, kill: () => exited };
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not come up; see test-artifacts/${logName}.log`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    exited,
    kill: () => {
      child.kill('SIGKILL');
      return exited;
    },
  };
}
