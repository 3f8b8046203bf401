import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, listening } from '../../scripts/server-process';

/**
 * `npm start` under a supervisor: SIGTERM to npm must stop the server and the
 * embedded PostgreSQL it started, in that order (drain first, then the
 * database), leaving no orphan behind.
 */
const ROOT = path.resolve(__dirname, '../..');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('SIGTERM to `npm start` drains and stops the server and its embedded PostgreSQL: no orphans', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'npm-start-'));
  chmodSync(dir, 0o755); // reachable by the postgres user when the test runs as root
  const [port, pgPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), EMBEDDED_PG_DATA_DIR: path.join(dir, 'pg'), LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  const npm = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout.on('data', (d) => (output += d));
  npm.stderr.on('data', (d) => (output += d));
  const npmExited = new Promise<number | null>((resolve) => npm.on('close', (code) => resolve(code)));
  try {
    let fleet: { self: string; executors: { executorId: string; pid: number }[] } | undefined;
    for (const end = Date.now() + 60_000; !fleet; ) {
      fleet = await fetch(`http://127.0.0.1:${port}/fleet`).then((r) => (r.ok ? (r.json() as Promise<typeof fleet>) : undefined), () => undefined);
      if (Date.now() > end) throw new Error(`npm start did not come up:\n${output}`);
      if (!fleet) await new Promise((r) => setTimeout(r, 200));
    }
    const serverPid = fleet.executors.find((e) => e.executorId === fleet!.self)!.pid;
    expect(await listening(pgPort)).toBe(true);

    npm.kill('SIGTERM');
    await npmExited;
    for (const end = Date.now() + 20_000; alive(serverPid) || (await listening(pgPort)); ) {
      if (Date.now() > end) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect({ server: alive(serverPid), http: await listening(port), postgres: await listening(pgPort) }).toEqual({ server: false, http: false, postgres: false });
    expect(output).toContain('shutting down');
    expect(output).not.toMatch(/could not release the lease|shutdown failed/);
  } finally {
    npm.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
