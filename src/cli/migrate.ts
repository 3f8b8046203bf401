import { loadConfig } from '../config';
import { openDatabase } from '../db/database';

/** `npm run migrate`: apply pending migrations and exit. */
async function run(): Promise<void> {
  const db = await openDatabase(loadConfig(), (msg) => console.log(msg));
  console.log('migrations are up to date');
  await db.close();
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
