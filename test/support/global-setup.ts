import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../scripts/server-process';
import { startEmbeddedPostgres } from '../../src/db/embedded';

/**
 * Tests run against DATABASE_URL when it is set, otherwise against an embedded
 * PostgreSQL started here for the whole run. Either way each test file creates
 * its own database on that server (test/support/db.ts).
 */
const DATA = path.resolve(__dirname, '../../.data');

/** Clusters of earlier runs that were killed before their teardown. */
function removeStaleClusters(): void {
  let entries: string[] = [];
  try {
    entries = readdirSync(DATA);
  } catch {
    return;
  }
  for (const name of entries) {
    const pid = Number(/^test-pg-(\d+)$/.exec(name)?.[1]);
    if (!pid) continue;
    try {
      process.kill(pid, 0); // that run is still going: leave it alone
    } catch {
      rmSync(path.join(DATA, name), { recursive: true, force: true });
    }
  }
}

export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.TEST_DATABASE_SERVER = process.env.DATABASE_URL;
    return;
  }
  removeStaleClusters();
  // One cluster per run (keyed by this process), so parallel runs never collide.
  const embedded = await startEmbeddedPostgres({
    dataDir: path.join(DATA, `test-pg-${process.pid}`),
    port: await freePort(),
    database: 'postgres',
    fresh: true,
  });
  (globalThis as { __embeddedPg?: unknown }).__embeddedPg = embedded;
  process.env.TEST_DATABASE_SERVER = embedded.url;
}
