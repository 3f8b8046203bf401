import type { EmbeddedPostgres } from '../../src/db/embedded';

export default async function globalTeardown(): Promise<void> {
  const embedded = (globalThis as { __embeddedPg?: EmbeddedPostgres }).__embeddedPg;
  await embedded?.stop();
}
