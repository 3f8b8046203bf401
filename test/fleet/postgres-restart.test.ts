import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { waitForEnds } from '../../scripts/invariants';
import { freePort } from '../../scripts/server-process';
import { ensureDatabase } from '../../src/db/pool';
import { api, expectInvariants, placeOrders, startMember, until, type Member } from './support';

/**
 * PostgreSQL crash-restarts under load: a cluster of the test's own
 * (scripts/pg-cluster.ts), stopped the way `pg_ctl -m immediate stop` does
 * (SIGQUIT to the postmaster: no shutdown checkpoint, crash recovery at the
 * next start), then started again a couple of seconds later. The server
 * processes are not restarted: they ride through it and their sagas finish.
 */
const ROOT = path.resolve(__dirname, '../..');
const SKU = 'sku-pg-restart';
const STOCK = 200;
let dir: string;
let port: number;
let cluster: { process: ChildProcess; url: string; dataDir: string };
const members: Member[] = [];

async function startCluster(): Promise<typeof cluster> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/pg-cluster.ts', path.join(dir, 'pg'), String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`pg-cluster exited with ${code}`)));
  });
  return { process: child, ...(JSON.parse(line) as { url: string; dataDir: string }) };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pg-restart-'));
  chmodSync(dir, 0o755); // reachable by the postgres user when the test runs as root
  port = await freePort();
  cluster = await startCluster();
}, 120_000);
afterAll(async () => {
  await Promise.all(members.map((m) => m.server.kill()));
  cluster?.process.kill('SIGTERM');
  await new Promise((r) => cluster?.process.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
});

/** SIGQUIT to the postmaster: what `pg_ctl -m immediate stop` sends. */
function crashPostgres(): number {
  const pid = Number(readFileSync(path.join(cluster.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  process.kill(pid, 'SIGQUIT');
  return pid;
}

test('the processes ride through a PostgreSQL crash-restart and their sagas finish', async () => {
  const url = new URL(cluster.url);
  url.pathname = '/fleet_pg';
  await ensureDatabase(url.toString());
  const db = new pg.Pool({ connectionString: url.toString(), max: 4 });
  db.on('error', () => {});
  try {
    members.push(...(await Promise.all(['pg-a', 'pg-b'].map((name) => startMember(url.toString(), name, { SAGA_STEP_DELAY_MS: '200', FLEET_LEASE_MS: '4000' })))));
    expect((await api(members[0], 'POST', `/inventory/${SKU}/stock`, { quantity: STOCK })).status).toBe(200);
    const placed = await placeOrders(members, SKU, 10, 'pg-restart');
    await until('sagas in flight', async () => (await db.query(`SELECT count(*)::int AS n FROM dbos.workflow_status WHERE status = 'PENDING'`)).rows[0].n > 2, 20_000);

    const pid = crashPostgres();
    await until('the postmaster to be gone', async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 20_000);
    cluster.process.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 2000));
    cluster = await startCluster();

    await waitForEnds(db, placed, 90_000);
    for (const m of members) {
      expect(m.server.child.exitCode).toBeNull();
      expect((await api(m, 'GET', '/health')).status).toBe(200);
    }
    await expectInvariants(db, placed, { [SKU]: STOCK });
  } finally {
    await db.end();
  }
}, 180_000);
