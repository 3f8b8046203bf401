import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { startApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { createTestDatabase, type TestDatabase } from '../support/db';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('migrate');
});
afterAll(() => db.drop());

test('migrations are recorded once, in order; running again does nothing', async () => {
  const { rows } = await db.pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  expect(rows.map((r) => r.version)).toEqual([...rows.map((r) => r.version)].sort((a, b) => a - b));
  expect(rows[0].version).toBe(1);
  expect(await migrate(db.pool)).toEqual([]);
});

test('two processes migrating at once take turns: each migration runs exactly once', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'migrations-'));
  // A migration that fails if run twice.
  writeFileSync(path.join(dir, '001_once.sql'), 'CREATE TABLE only_once (id int); SELECT pg_sleep(0.3);');
  writeFileSync(path.join(dir, '002_twice.sql'), 'CREATE TABLE also_once (id int);');
  await db.pool.query('DROP TABLE schema_migrations');
  const pools = [createPool(db.url, 2), createPool(db.url, 2), createPool(db.url, 2)];
  try {
    const results = await Promise.all(pools.map((p) => migrate(p, dir)));
    expect(results.flat().sort()).toEqual(['001_once', '002_twice']);
  } finally {
    await Promise.all(pools.map((p) => p.end()));
  }
});

test('an edited migration that already ran is refused', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'migrations-'));
  writeFileSync(path.join(dir, '001_once.sql'), 'CREATE TABLE only_once (id int, edited int);');
  await expect(migrate(db.pool, dir)).rejects.toThrow('migration 001_once was changed after it was applied');
});

describe('configuration', () => {
  test('an invalid value stops start-up with a message naming the setting', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x/y' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });

  test('dbos-config.yaml supplies the name and, through ${DATABASE_URL}, the database', () => {
    expect(loadConfig({}).appName).toBe('saga-orchestrator');
    expect(loadConfig({}).databaseUrl).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: 'postgresql://u@h:5432/d' }).databaseUrl).toBe('postgresql://u@h:5432/d');
    // One executor id per process incarnation (host, port, random), unless pinned.
    expect(loadConfig({ PORT: '4000' }).executorId).toMatch(/-4000-[0-9a-f]{6}$/);
    expect(loadConfig({ PORT: '4000' }).executorId).not.toBe(loadConfig({ PORT: '4000' }).executorId);
    expect(loadConfig({ DBOS_EXECUTOR_ID: 'pinned' }).executorId).toBe('pinned');
  });
});

test('a Conductor key without the Conductor client package stops start-up with a clear message, before anything starts', async () => {
  const config = { ...loadConfig({}), conductorKey: 'key', databaseUrl: 'postgresql://nobody@127.0.0.1:1/none' };
  // The unreachable database proves the check comes first.
  await expect(startApp(config, createLogger('silent'))).rejects.toThrow(
    'DBOS_CONDUCTOR_KEY is set but @dbos-inc/dbos-enterprise is not installed',
  );
});
