import { z } from 'zod';
import type { ConsumerStatus, DeadLetter } from '../consumers';
import type { OrderSummary, SagaOverview, StockLevel } from '../projections';
import type { ForkResult } from '../saga/fork';
import { SAGA_STATUSES, type SagaView } from '../saga/state';

/**
 * What the API answers, for the OpenAPI document (openapi.ts). Where the
 * answer's type is a TypeScript interface of a lower layer, a compile-time
 * check below makes sure the interface fits the schema; the contract test
 * (test/http/openapi.test.ts) checks real answers against the document.
 */

const ErrorInfo = z.object({ code: z.string(), message: z.string(), transient: z.boolean().optional() });
const Status = z.enum(SAGA_STATUSES);
const Json = z.record(z.string(), z.unknown());

export const StepView = z.object({
  name: z.string(),
  status: z.enum(['succeeded', 'failed', 'stopped']),
  pivot: z.boolean(),
  attempts: z.number().int(),
  startedAt: z.string(),
  durationMs: z.number(),
  error: ErrorInfo.optional(),
  output: z.unknown().optional(),
  /** Steps run as parallel branches of one group share it. */
  group: z.string().optional(),
  /** A step that ran a child saga: its id. */
  child: z.string().optional(),
});

const SagaViewFields = {
  sagaId: z.string(),
  type: z.string(),
  businessKey: z.string(),
  status: Status,
  pivoted: z.boolean(),
  pivot: z.object({ step: z.string(), enteredAt: z.string() }).optional(),
  compensationReason: z.string().optional(),
  failure: z.object({ step: z.string(), error: ErrorInfo }).optional(),
  awaitingApprovalUntil: z.string().optional(),
  cancelRequested: z.boolean(),
  startedAt: z.string(),
  updatedAt: z.string(),
  endedAt: z.string().optional(),
  version: z.number().int(),
  forkedFrom: z.object({ sagaId: z.string(), fromStep: z.number().int(), stepName: z.string().optional() }).optional(),
  quarantine: z.object({ recoveryAttempts: z.number().int(), reason: z.string(), at: z.string() }).optional(),
  resumeStatus: Status.optional(),
  forks: z.array(z.object({ sagaId: z.string(), fromStep: z.number().int(), stepName: z.string().optional(), actor: z.string(), at: z.string() })).optional(),
  /** A child saga names the saga (and its step) that started it. */
  parent: z.object({ sagaId: z.string(), step: z.string() }).optional(),
  children: z.array(z.object({ step: z.string(), sagaId: z.string(), type: z.string() })).optional(),
  /** A durable wait in progress (a signal, a timer). */
  waiting: z.object({ signal: z.string().optional(), until: z.string() }).optional(),
};

const CompensationView = z.object({
  step: z.string(),
  name: z.string(),
  status: z.enum(['registered', 'succeeded', 'failed', 'stuck', 'resolved']),
  attempts: z.number().int(),
  nothingToUndo: z.boolean().optional(),
  error: ErrorInfo.optional(),
  resolution: z.object({ actor: z.string(), reason: z.string() }).optional(),
});

const SagaView = z.object({
  ...SagaViewFields,
  input: Json,
  steps: z.array(StepView),
  compensations: z.array(CompensationView),
  operatorActions: z.array(z.object({ action: z.string(), actor: z.string(), reason: z.string().optional(), at: z.string() })),
});

export const SagaEventJson = z.object({
  position: z.number().int(),
  globalPosition: z.number().int(),
  type: z.string(),
  data: Json,
  metadata: Json,
  recordedAt: z.string(),
});

const Workflow = z.object({ status: z.string(), executorId: z.string().optional(), applicationVersion: z.string().optional() }).nullable().optional();
export const SagaDetail = z.union([
  SagaView.extend({ workflow: Workflow, events: z.array(SagaEventJson) }),
  // Started, but its first step has not committed yet: only DBOS knows it.
  z.object({ sagaId: z.string(), status: z.literal('RUNNING'), steps: z.array(StepView).max(0), compensations: z.array(CompensationView).max(0), workflow: Workflow, events: z.array(SagaEventJson).max(0) }),
]);

const SagaOverviewSchema = z.object({
  ...SagaViewFields,
  currentStep: z.string().nullable(),
  compensations: z.array(CompensationView.pick({ step: true, name: true, status: true })),
});
export const SagaList = z.object({ sagas: z.array(SagaOverviewSchema) });

/** A stream the saga's events or the events it caused were written to. */
export const SagaStreams = z.object({
  sagaId: z.string(),
  streams: z.array(
    z.object({ streamId: z.string(), category: z.string(), id: z.string(), aggregate: z.boolean(), events: z.number().int().describe('how many of its events the saga caused'), version: z.number().int() }),
  ),
});

export const ActionAccepted = z.object({ sagaId: z.string(), action: z.string(), status: Status });
export const ForkResultBody = z.object({ sagaId: z.string(), forkedFrom: z.string(), fromStep: z.number().int(), stepName: z.string() });

export const StoredEvent = z.object({
  globalPosition: z.number().int(),
  streamId: z.string(),
  streamPosition: z.number().int(),
  eventId: z.string(),
  type: z.string(),
  schemaVersion: z.number().int(),
  data: z.unknown(),
  metadata: Json,
  recordedAt: z.string(),
  decodeError: z.string().optional(),
});

const OrderSummarySchema = z.object({
  orderId: z.string(),
  status: z.string(),
  total: z.number(),
  currency: z.string().nullable(),
  customerId: z.string().nullable(),
  lines: z.array(z.object({ sku: z.string(), quantity: z.number().int(), unitPrice: z.number() })),
  paymentStatus: z.string(),
  shipmentStatus: z.string(),
  trackingNumber: z.string().nullable(),
  sagaId: z.string().nullable(),
  /** Sealed in the read model, opened for the answer: the address, or "[forgotten]" once its customer is. */
  shippingAddress: z.unknown(),
  updatedAt: z.string(),
});
export const OrderSummaryBody = OrderSummarySchema;
export const OrderList = z.object({ orders: z.array(OrderSummarySchema) });

const StockLevelSchema = z.object({ sku: z.string(), onHand: z.number().int(), reserved: z.number().int(), available: z.number().int(), updatedAt: z.string() });
export const StockList = z.object({ items: z.array(StockLevelSchema) });

const ConsumerStatusSchema = z.object({
  name: z.string(),
  kind: z.enum(['projection', 'process-manager', 'outbox']),
  version: z.number().int(),
  status: z.enum(['live', 'rebuilding']),
  rulesVersion: z.number().int(),
  checkpoint: z.object({ txid: z.string(), position: z.number().int() }),
  lag: z.object({ events: z.number().int(), ms: z.number() }),
  parked: z.number().int(),
  lease: z.object({ owner: z.string().nullable(), expiresAt: z.string().nullable(), fence: z.number().int() }),
  updatedAt: z.string(),
  liveSince: z.string().nullable(),
});
/** GET /consumers answers `{ consumers }`; GET /projections (the read models only) `{ projections }`. */
export const consumerList = (noun: 'consumer' | 'projection') => z.object({ [`${noun}s`]: z.array(ConsumerStatusSchema) });

const DeadLetterSchema = z.object({
  consumer: z.string(),
  /** Under /projections: the same name, as it was called before consumers. */
  projection: z.string().optional(),
  version: z.number().int(),
  position: z.number().int(),
  eventId: z.string(),
  streamId: z.string(),
  type: z.string(),
  error: z.string(),
  attempts: z.number().int(),
  parkedAt: z.string(),
  lastAttemptAt: z.string(),
  replayedAt: z.string().nullable(),
});
export const deadLetterList = (noun: 'consumer' | 'projection') => z.object({ [noun]: z.string(), deadLetters: z.array(DeadLetterSchema) });

// Compile-time: each interface the code answers with fits its documented schema.
type Fits<T extends U, U> = T;
export type Checked = [
  Fits<SagaView, z.output<typeof SagaView>>,
  Fits<SagaOverview, z.output<typeof SagaOverviewSchema>>,
  Fits<OrderSummary, z.output<typeof OrderSummarySchema>>,
  Fits<StockLevel, z.output<typeof StockLevelSchema>>,
  Fits<ConsumerStatus, z.output<typeof ConsumerStatusSchema>>,
  Fits<DeadLetter, z.output<typeof DeadLetterSchema>>,
  Fits<ForkResult, z.output<typeof ForkResultBody>>,
];
