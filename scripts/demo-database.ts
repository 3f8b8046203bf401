import { loadConfig } from '../src/config';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded';
import { ensureDatabase } from '../src/db/pool';
import { freePort } from './server-process';

/**
 * A fresh database for a demo: on DATABASE_URL's server when set, otherwise
 * on an embedded PostgreSQL the demo starts (and `stop()` stops).
 */
export async function demoDatabase(name: string): Promise<{ url: string; stop: () => Promise<void> }> {
  let embedded: EmbeddedPostgres | undefined;
  let serverUrl = loadConfig().databaseUrl;
  if (!serverUrl) {
    console.log('No DATABASE_URL: starting an embedded PostgreSQL for the demo (.data/demo-pg)…');
    embedded = await startEmbeddedPostgres({ dataDir: '.data/demo-pg', port: await freePort(), database: 'postgres' });
    serverUrl = embedded.url;
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}_${Date.now()}`;
  await ensureDatabase(url.toString());
  return { url: url.toString(), stop: async () => embedded?.stop() };
}
