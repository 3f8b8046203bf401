import { createServer } from 'node:net';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/db/embedded';

/**
 * Tests run against DATABASE_URL when it is set, otherwise against an embedded
 * PostgreSQL started here for the whole run. Either way each test file creates
 * its own database on that server (test/support/db.ts).
 */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.TEST_DATABASE_SERVER = process.env.DATABASE_URL;
    return;
  }
  const embedded = await startEmbeddedPostgres({
    dataDir: path.resolve(__dirname, '../../.data/test-pg'),
    // A fresh cluster per run: nothing left over from an earlier, killed run.
    fresh: true,
    port: await freePort(),
    database: 'postgres',
  });
  (globalThis as { __embeddedPg?: unknown }).__embeddedPg = embedded;
  process.env.TEST_DATABASE_SERVER = embedded.url;
  // Child processes spawned by tests (crash tests) inherit this.
  process.env.TEST_EMBEDDED = '1';
}
