/**
 * `npm run --silent dbos -- workflow list|get|steps …`: DBOS's own CLI
 * (`npx dbos`, which reads dbos-config.yaml) on this project's database, also
 * where DATABASE_URL is unset: then it is pointed at the embedded PostgreSQL
 * that `npm start` runs, as `npm start` itself would be. And an unknown
 * workflow is said so, where DBOS's CLI prints `undefined`.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config';

const ROOT = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const config = loadConfig(process.env, ROOT);
const databaseUrl = config.databaseUrl ?? `postgresql://postgres:postgres@127.0.0.1:${config.embedded.port}/saga`;

const shown = databaseUrl.replace(/:[^:@/]*@/, ':***@');

// DBOS's CLI waits for an unreachable database forever: say so at once instead.
async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function main(): Promise<number> {
  if (!(await reachable())) {
    process.stderr.write(`cannot reach ${shown}: start the service (npm start) or set DATABASE_URL\n`);
    return 1;
  }
  const run = spawnSync(path.join(ROOT, 'node_modules/.bin/dbos'), args, {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: 'utf8',
  });
  const out = run.stdout ?? '';
  if (out.trim() === 'undefined') {
    process.stderr.write(`no workflow ${args[args.length - 1] ?? ''} in ${shown}\n`);
    return 1;
  }
  process.stdout.write(out);
  process.stderr.write(run.stderr ?? '');
  return run.status ?? 1;
}

main().then((code) => process.exit(code));
