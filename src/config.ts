import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';

/**
 * All configuration in one place: `dbos-config.yaml` (shared with DBOS's CLI)
 * plus environment variables. Validated once at start; a bad value stops the
 * process with a message naming the setting.
 */

const int = (min: number) => z.coerce.number().int().min(min);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

export const EnvSchema = z.object({
  PORT: int(0).max(65535).default(3000),
  /** Loopback by default: exposing the API is a decision, not an accident. */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Wrong tokens an address may present per minute before it gets 429s. */
  AUTH_FAILURES_PER_MINUTE: int(1).default(10),
  /** Origins allowed to call the API from a browser (comma-separated); none by default. */
  CORS_ORIGINS: optionalString.transform((v) => (v ? v.split(',').map((o) => o.trim()).filter(Boolean) : [])),
  DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  EMBEDDED_PG_PORT: int(1).max(65535).default(5433),
  EMBEDDED_PG_DATA_DIR: z.string().min(1).default('.data/pg'),
  DBOS_EXECUTOR_ID: optionalString,
  DBOS_CONDUCTOR_KEY: optionalString,
  ADMIN_TOKEN: optionalString,
  CLIENT_TOKEN: optionalString,
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  SNAPSHOT_EVERY: int(0).default(50),
  SAGA_STEP_DELAY_MS: int(0).default(0),
  APPROVAL_THRESHOLD: z.coerce.number().positive().default(1000),
  APPROVAL_TIMEOUT_SECONDS: z.coerce.number().positive().default(3600),
  SAGA_DEADLINE_SECONDS: z.coerce.number().positive().default(86400),
  SIMULATE_OUTAGE_AFTER_CAPTURE: z
    .enum(['true', 'false', '1', '0', ''])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  DB_POOL_SIZE: int(1).default(10),
  STEP_MAX_ATTEMPTS: int(1).default(5),
  STEP_RETRY_BASE_MS: int(0).default(200),
  RECOVERY_ROUNDS: int(1).default(3),
  RECOVERY_ROUND_DELAY_MS: int(0).default(2000),
  READ_SIDE: z.enum(['on', 'off', 'only']).default('on'),
  SAGA_DISPATCH: z.enum(['auto', 'queue', 'direct']).default('auto'),
  SAGA_WORKER_CONCURRENCY: int(1).default(100),
  SAGA_QUEUE_POLL_MS: int(10).default(100),
  FLEET_LEASE_MS: int(500).default(10_000),
  SHUTDOWN_GRACE_MS: int(0).default(10_000),
  MAX_RECOVERY_ATTEMPTS: int(1).default(10),
  /** After an append's wake-up, consumers wait this long so that appends close together share one round. */
  CONSUMER_COALESCE_MS: int(0).default(20),
  /** The read side's own connections: its rounds never queue behind the sagas' queries. */
  CONSUMER_POOL_SIZE: int(1).default(3),
  /** Unset: no outbox, no inbound. Set: both (README, "Talking to other services over NATS"). */
  NATS_URL: optionalString.pipe(z.url({ protocol: /^(nats|tls)$/ }).optional()),
  NATS_SUBJECT_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'dot-separated tokens').default('saga'),
  NATS_STREAM: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-"').default('SAGA_EVENTS'),
  NATS_OUTBOX_CATEGORIES: z
    .string()
    .default('order,payment,shipment,inventory,saga')
    .transform((v) => v.split(',').map((c) => c.trim()).filter(Boolean)),
  NATS_INBOUND_STREAM: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-"').default('SAGA_INBOUND'),
  NATS_INBOUND_SUBJECT: z.string().regex(/^[A-Za-z0-9_*>-]+(\.[A-Za-z0-9_*>-]+)*$/, 'a NATS subject').default('inbound.orders'),
  NATS_INBOUND_DURABLE: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-"').default('saga-orchestrator'),
  // See src/saga/crash-points.ts.
  SAGA_CRASH_POINT: z
    .string()
    .regex(/^(before-effect|after-call|after-commit):[\w.]+$/, 'before-effect:<step>, after-call:<step> or after-commit:<step>')
    .optional(),
});

const FileSchema = z.object({
  name: z.string().min(1),
  language: z.literal('node').optional(),
  system_database_url: z.string().nullish(),
  telemetry: z.object({ logs: z.object({ logLevel: z.string().optional() }).optional() }).optional(),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  appName: string;
  port: number;
  /** The interface HTTP listens on. */
  host: string;
  /** Browser origins allowed by CORS; empty: no cross-origin access. */
  corsOrigins: string[];
  authFailuresPerMinute: number;
  /** Undefined means: start the embedded PostgreSQL. */
  databaseUrl?: string;
  embedded: { port: number; dataDir: string };
  executorId: string;
  conductorKey?: string;
  /** Operator actions; also accepted wherever the client token is. */
  adminToken?: string;
  /** Clients: start sagas, request returns, read sagas, orders and events. */
  clientToken?: string;
  logLevel: Env['LOG_LEVEL'];
  snapshotEvery: number;
  stepDelayMs: number;
  approvalThreshold: number;
  approvalTimeoutSeconds: number;
  sagaDeadlineSeconds: number;
  simulateOutageAfterCapture: boolean;
  poolSize: number;
  consumerPoolSize: number;
  /** Attempts of a step on transient failures, inside one round. */
  stepMaxAttempts: number;
  stepRetryBaseMs: number;
  /** Rounds of a failing compensation (or post-pivot step) before the saga parks for an operator. */
  recoveryRounds: number;
  recoveryRoundDelayMs: number;
  /** Crash tests and the crash demo only: where to SIGKILL this process. */
  crashPoint?: string;
  /**
   * Run the projections and process managers in this process. Off, the
   * process only orchestrates; some other process must run the read side.
   */
  readSide: boolean;
  /** Run sagas in this process (READ_SIDE=only: no). */
  orchestrates: boolean;
  /**
   * auto: here while this process has room (SAGA_WORKER_CONCURRENCY), else
   * through the DBOS queue any live process takes work from; queue: always
   * through the queue; direct: always here.
   */
  sagaDispatch: 'auto' | 'queue' | 'direct';
  /** Sagas this process runs at once from the queue. */
  sagaWorkerConcurrency: number;
  sagaQueuePollMs: number;
  /** A process whose lease is not renewed for this long is taken over. */
  fleetLeaseMs: number;
  /** Graceful shutdown: how long running sagas get to finish before others take them over. */
  shutdownGraceMs: number;
  /** Recoveries of one saga before it is parked as a crash loop. */
  maxRecoveryAttempts: number;
  /** Consumers: the wait after a wake-up that lets close appends share one round (cost against lag). */
  consumerCoalesceMs: number;
  /** The outbox to NATS JetStream and the inbound consumer; absent without NATS_URL. */
  nats?: NatsConfig;
}

export interface NatsConfig {
  url: string;
  /** Outbox subjects: `<prefix>.<category>.<type>`, captured by `stream`. */
  prefix: string;
  stream: string;
  categories: string[];
  inbound: { stream: string; subject: string; durable: string };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** `${VAR}` substitution, the same rule DBOS's CLI applies to this file. */
function substitute(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => env[name] ?? '');
}

export function readConfigFile(dir: string, env: NodeJS.ProcessEnv): z.infer<typeof FileSchema> {
  const file = path.join(dir, 'dbos-config.yaml');
  let raw: unknown;
  try {
    raw = YAML.parse(substitute(readFileSync(file, 'utf8'), env));
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const parsed = FileSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${file}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, dir = process.cwd()): Config {
  const file = readConfigFile(dir, env);
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describeIssues(parsed.error)}`);
  const e = parsed.data;
  // The same value would make every client an operator.
  if (e.CLIENT_TOKEN !== undefined && e.CLIENT_TOKEN === e.ADMIN_TOKEN) throw new ConfigError('invalid configuration: CLIENT_TOKEN: must differ from ADMIN_TOKEN');
  const databaseUrl = e.DATABASE_URL ?? (file.system_database_url || undefined);
  return {
    appName: file.name,
    port: e.PORT,
    host: e.HOST,
    corsOrigins: e.CORS_ORIGINS,
    authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
    databaseUrl,
    embedded: { port: e.EMBEDDED_PG_PORT, dataDir: path.resolve(dir, e.EMBEDDED_PG_DATA_DIR) },
    // Unique per process incarnation: a dead one's sagas are taken over by the
    // fleet (src/fleet/), so nothing depends on restarting under the same id.
    // DBOS_EXECUTOR_ID pins it; a restart under it also recovers its own at launch.
    executorId: e.DBOS_EXECUTOR_ID ?? `${hostname()}-${e.PORT}-${randomBytes(3).toString('hex')}`,
    conductorKey: e.DBOS_CONDUCTOR_KEY,
    adminToken: e.ADMIN_TOKEN,
    clientToken: e.CLIENT_TOKEN,
    logLevel: e.LOG_LEVEL,
    snapshotEvery: e.SNAPSHOT_EVERY,
    stepDelayMs: e.SAGA_STEP_DELAY_MS,
    approvalThreshold: e.APPROVAL_THRESHOLD,
    approvalTimeoutSeconds: e.APPROVAL_TIMEOUT_SECONDS,
    sagaDeadlineSeconds: e.SAGA_DEADLINE_SECONDS,
    simulateOutageAfterCapture: e.SIMULATE_OUTAGE_AFTER_CAPTURE,
    poolSize: e.DB_POOL_SIZE,
    stepMaxAttempts: e.STEP_MAX_ATTEMPTS,
    stepRetryBaseMs: e.STEP_RETRY_BASE_MS,
    recoveryRounds: e.RECOVERY_ROUNDS,
    recoveryRoundDelayMs: e.RECOVERY_ROUND_DELAY_MS,
    crashPoint: e.SAGA_CRASH_POINT,
    readSide: e.READ_SIDE !== 'off',
    orchestrates: e.READ_SIDE !== 'only',
    sagaDispatch: e.SAGA_DISPATCH,
    sagaWorkerConcurrency: e.SAGA_WORKER_CONCURRENCY,
    sagaQueuePollMs: e.SAGA_QUEUE_POLL_MS,
    fleetLeaseMs: e.FLEET_LEASE_MS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    maxRecoveryAttempts: e.MAX_RECOVERY_ATTEMPTS,
    consumerCoalesceMs: e.CONSUMER_COALESCE_MS,
    consumerPoolSize: e.CONSUMER_POOL_SIZE,
    nats: e.NATS_URL
      ? {
          url: e.NATS_URL,
          prefix: e.NATS_SUBJECT_PREFIX,
          stream: e.NATS_STREAM,
          categories: e.NATS_OUTBOX_CATEGORIES,
          inbound: { stream: e.NATS_INBOUND_STREAM, subject: e.NATS_INBOUND_SUBJECT, durable: e.NATS_INBOUND_DURABLE },
        }
      : undefined,
  };
}
