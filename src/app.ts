import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type { Server } from 'node:http';
import { DBOS } from '@dbos-inc/dbos-sdk';
import type { Config } from './config';
import { openDatabase, type Database } from './db/database';
import { createPool, type Pool } from './db/pool';
import { domainEvents } from './domain';
import { AppendNotifier, CommandHandler, EventRegistry, EventStore, SnapshotStore } from './eventstore';
import { Fleet } from './fleet/fleet';
import { assertRecoveryApi } from './fleet/recovery';
import { createHttpApp } from './http/server';
import { Privacy, privacyEvents } from './privacy';
import { dbosLogger, type Logger } from './log';
import { Metrics } from './metrics';
import { Consumers } from './consumers';
import { Broker } from './outbox/broker';
import { Inbound } from './outbox/inbound';
import { outboxConsumer } from './outbox/outbox';
import { inboundOrders } from './process-managers/inbound-orders';
import { processManagerConsumer, processManagers } from './process-managers';
import { projectionConsumer, readModels } from './projections';
import { createSimulators, setSwitch, type Providers } from './providers';
import { WORKFLOW_VERSION } from './release';
import type { SagaDefinition } from './saga/definition';
import { SagaEngine } from './saga/engine';
import { sagaEvents } from './saga/events';
import { instrumentDurable } from './saga/crash-points';
import { dbosDurable, haltable } from './saga/durable';
import { StepExecutor } from './saga/executor';
import { orderFulfillment } from './sagas/order-fulfillment/saga';
import { orderReturn } from './sagas/order-return/saga';
import { travelBooking } from './sagas/travel-booking/saga';

export interface App {
  config: Config;
  db: Database;
  store: EventStore;
  engine: SagaEngine;
  providers: Providers;
  handler: CommandHandler;
  /** Customers' data keys and the card vault: seals, reveals, forgets. */
  privacy: Privacy;
  metrics: Metrics;
  /** Projections, process managers, the outbox: status and lag, waitForPosition, rebuilds, parked events. */
  consumers: Consumers;
  server?: Server;
  fleet: Fleet;
  /** Stop; `graceMs` lets running sagas finish first (see the implementation). */
  stop(graceMs?: number): Promise<void>;
}

/** The DBOS queue sagas are dispatched through (SAGA_DISPATCH=queue). */
export const SAGA_QUEUE = 'sagas';

/**
 * Orchestrators run WORKFLOW_VERSION. A process that orchestrates nothing
 * launches DBOS under a version of its own, so it never claims a saga (DBOS
 * only runs workflows of its own version); it enqueues for the orchestrators.
 */
const dbosVersion = (config: Config) => (config.orchestrates ? WORKFLOW_VERSION : `${WORKFLOW_VERSION}+read-side`);

export function createRegistry(): EventRegistry {
  return new EventRegistry([...domainEvents, ...sagaEvents, ...privacyEvents]);
}

/**
 * The composition root: database → event store → providers → saga engine
 * (registered before DBOS launches) → DBOS → HTTP.
 */
/**
 * DBOS loads the Conductor client (an optional package) lazily, deep inside
 * launch; check before anything starts, so a missing install is a clear
 * start-up error.
 */
export function assertConductorClient(config: Config, resolve = createRequire(__filename).resolve): void {
  if (!config.conductorKey) return;
  try {
    resolve('@dbos-inc/dbos-enterprise');
  } catch {
    throw new Error(
      'DBOS_CONDUCTOR_KEY is set but @dbos-inc/dbos-enterprise is not installed: install it (npm i @dbos-inc/dbos-enterprise@~5.3.0) or unset the key',
    );
  }
}

export interface StartOptions {
  listen?: boolean;
  /** Another process took our lease over: stop and exit. */
  onLeaseLost?: () => void;
  /** Saga types to register besides the shipped ones (the engine's tests register toy sagas). */
  sagas?: (deps: { pool: Pool; providers: Providers }) => SagaDefinition[];
}

export async function startApp(config: Config, log: Logger, options: StartOptions = {}): Promise<App> {
  assertConductorClient(config);
  assertRecoveryApi();
  const db = await openDatabase(config, (msg) => log.info(msg));
  const metrics = new Metrics(db.pool, log);
  const store = new EventStore(db.pool, createRegistry(), { onAppended: metrics.onAppended });
  metrics.useStore(store);
  const handler = new CommandHandler(store, new SnapshotStore(db.pool, config.snapshotEvery));
  const providers = createSimulators(db.pool);
  const privacy = new Privacy(db.pool);
  if (config.simulateOutageAfterCapture) await setSwitch(db.pool, 'outage_after_capture', true);

  const executor = new StepExecutor({
    store,
    snapshots: handler.snapshots,
    log,
    retry: { maxAttempts: config.stepMaxAttempts, baseDelayMs: config.stepRetryBaseMs, maxDelayMs: 5_000 },
  });
  // Crash tests and the crash demo only (see crash-points.ts).
  const instrumented = config.crashPoint !== undefined || config.stepDelayMs > 0;
  // A process that orchestrates nothing still starts sagas (a return request): always through the queue.
  const dispatch = !config.orchestrates ? 'queue' : config.sagaDispatch;
  // Halted at shutdown, when the grace period is over (see haltable); the gate sits right before DBOS.
  const durable = haltable(dbosDurable);
  const engine = new SagaEngine(
    store,
    executor,
    { rounds: config.recoveryRounds, roundDelayMs: config.recoveryRoundDelayMs },
    config.sagaDeadlineSeconds,
    instrumented ? instrumentDurable(durable.durable, { crashPoint: config.crashPoint, stepDelayMs: config.stepDelayMs }) : durable.durable,
    {
      queueName: dispatch === 'direct' ? undefined : SAGA_QUEUE,
      localCapacity: dispatch === 'auto' ? config.sagaWorkerConcurrency : undefined,
      applicationVersion: WORKFLOW_VERSION,
      maxRecoveryAttempts: config.maxRecoveryAttempts,
    },
  );
  engine.register(
    orderFulfillment(providers, {
      approvalThreshold: config.approvalThreshold,
      approvalTimeoutSeconds: config.approvalTimeoutSeconds,
    }, privacy),
  );
  engine.register(orderReturn(providers));
  engine.register(travelBooking(providers, privacy));
  for (const saga of options.sagas?.({ pool: db.pool, providers }) ?? []) engine.register(saga);

  // Ours to end: DBOS closes only a pool it created itself.
  const dbosPool = createPool(db.url, config.poolSize);
  await launchDbos(config, db.url, dbosPool, log);
  const fleet = new Fleet({
    pool: db.pool,
    me: {
      executorId: config.executorId,
      incarnation: randomUUID(),
      applicationVersion: dbosVersion(config),
      role: !config.orchestrates ? 'read-side' : config.readSide ? 'both' : 'orchestrator',
      host: hostname(),
      pid: process.pid,
      port: config.port || undefined,
    },
    leaseMs: config.fleetLeaseMs,
    orchestrates: config.orchestrates,
    log,
    onLeaseLost: () => options.onLeaseLost?.(),
    quarantine: (sagaId, attempts, occurrence) => engine.quarantine(sagaId, attempts, occurrence),
  });
  await fleet.start();
  metrics.useFleet(() => fleet.snapshot());
  const notifier = new AppendNotifier(db.url, store);
  await notifier.start();
  // Event-driven flows (a return request starts the return saga) start sagas, so they run after DBOS launched.
  const reactions = { handler, log, startSaga: async (type: string, sagaId: string, input: unknown) => void (await engine.start(type, sagaId, input)) };
  // NATS_URL set: the outbox publishes to JetStream and the inbound consumer starts sagas; connects in the background.
  const broker = config.nats && new Broker(config.nats.url, log);
  const outbox = broker && config.nats ? [outboxConsumer(broker, { ...config.nats, onAcked: metrics.onOutboxAcked })] : [];
  // Every process runs every consumer; a lease per consumer keeps one at work at a time.
  const consumerPool = createPool(db.url, config.consumerPoolSize);
  const consumers = new Consumers(consumerPool, store, {
    owner: config.executorId,
    consumers: [...readModels().map(projectionConsumer), ...processManagers.map((pm) => processManagerConsumer(pm, reactions)), ...outbox],
    notifier,
    log,
    // One lease length for the fleet: a dead process's consumers move as soon as its sagas do.
    leaseTtlMs: config.fleetLeaseMs,
    coalesceMs: config.consumerCoalesceMs,
  });
  // READ_SIDE=off: this process only orchestrates; the read models exist (reads
  // answer) and whichever process runs the read side keeps them up to date.
  if (config.readSide) await consumers.start();
  else await consumers.ensure();
  metrics.useConsumers(() => consumers.lagReport());
  const inbound = broker && config.nats && config.readSide ? new Inbound(broker, inboundOrders, config.nats.inbound, reactions).start() : undefined;

  const app: App = {
    config,
    db,
    store,
    engine,
    providers,
    handler,
    privacy,
    metrics,
    consumers,
    fleet,
    /**
     * Graceful: stop taking work (no new requests, no queue polls, read side
     * handed over), give running sagas the grace period to finish, then
     * release the lease so another process takes over what is left at once.
     */
    async stop(graceMs = 0) {
      await fleet.drain();
      await new Promise<void>((resolve) => (app.server ? app.server.close(() => resolve()) : resolve()));
      app.server?.closeAllConnections();
      await inbound?.stop();
      await consumers.stop();
      await broker?.close();
      // Workflows stop before the pool they write through goes away: those
      // that outlast the grace period stop at their next durable operation.
      const halt = graceMs > 0 ? setTimeout(durable.halt, graceMs) : void durable.halt();
      await DBOS.shutdown(graceMs > 0 ? { workflowCompletionTimeoutMS: graceMs } : undefined);
      clearTimeout(halt);
      durable.halt();
      await fleet.release().catch((err) => log.warn({ err: (err as Error).message }, 'fleet: could not release the lease'));
      await notifier.stop();
      // Every connection is back and closed before the database stops: none is cut under its user.
      await endWithin(dbosPool, 10_000, log);
      await endWithin(consumerPool, 10_000, log);
      await db.close();
    },
  };
  if (options.listen !== false) {
    const http = createHttpApp({ config, store, handler, engine, privacy, pool: db.pool, log, metrics, consumers, fleet });
    app.server = await new Promise<Server>((resolve) => {
      const server = http.listen(config.port, config.host, () => resolve(server));
    });
    log.info({ host: config.host, port: config.port, executorId: config.executorId, version: WORKFLOW_VERSION }, 'listening');
  }
  return app;
}

/** End a pool once its connections in use are back (an operation under way finishes), or after `ms`. */
async function endWithin(pool: Pool, ms: number, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  const ended = await Promise.race([pool.end().then(() => 'ended' as const), late]);
  clearTimeout(timer);
  if (ended === 'late') log.warn({ waitingMs: ms }, 'shutdown: a database connection was still in use; closing anyway');
}

async function launchDbos(config: Config, url: string, pool: Pool, log: Logger): Promise<void> {
  DBOS.setConfig({
    name: config.appName,
    systemDatabaseUrl: url,
    // Our pool, so a checked-out connection that the server ends cannot crash the process (see createPool).
    systemDatabasePool: pool,
    // Pinned: a source-hash version would strand in-flight sagas on redeploy.
    applicationVersion: dbosVersion(config),
    executorID: config.executorId,
    logLevel: config.logLevel,
    // DBOS's own lines as JSON through our logger, not plain text interleaved with it (our level filters them).
    logger: dbosLogger(log),
    // Done by openDatabase, under the migration lock (several processes may start at once).
    runMigrations: false,
    // A read-side process polls no saga queue.
    ...(config.orchestrates ? {} : { listenQueues: [] }),
  });
  if (config.conductorKey) log.info('connecting to DBOS Conductor');
  await DBOS.launch(config.conductorKey ? { conductorKey: config.conductorKey } : undefined);
  // A row in PostgreSQL shared by the fleet: the latest process's settings win.
  await DBOS.registerQueue(SAGA_QUEUE, {
    workerConcurrency: config.sagaWorkerConcurrency,
    minPollingIntervalMs: config.sagaQueuePollMs,
    onConflict: 'always_update',
  });
}
