import { Counter, Histogram, type Registry } from 'prom-client';
import type { EventOf, EventStore, NewEvent, StreamWrite } from '../eventstore';
import { sagaStreamId, type SagaStarted } from '../saga/events';

/**
 * Saga counters and durations, derived from the saga events this process
 * appends. Counting facts as they are written (rather than calls in the
 * engine) keeps the saga code free of metrics and counts each transition
 * exactly once: a DBOS replay finds its step's checkpoint and appends nothing,
 * and a duplicate command appends nothing either. Every process counts what it
 * wrote; Prometheus sums across processes.
 */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

type Started = EventOf<typeof SagaStarted>['data'];

/** What the timed saga events (steps and compensations) carry that is read here. */
interface Timed {
  step: string;
  compensation?: string;
  durationMs: number;
}

export class SagaMetrics {
  private readonly started: Counter<'saga_type'>;
  private readonly completed: Counter<'saga_type'>;
  private readonly compensated: Counter<'saga_type'>;
  private readonly stuck: Counter<'saga_type'>;
  private readonly failed: Counter<'saga_type'>;
  private readonly stepSeconds: Histogram<'saga_type' | 'step' | 'outcome'>;
  private readonly compensationSeconds: Histogram<'saga_type' | 'compensation' | 'outcome'>;
  private readonly types = new SagaTypeCache();
  private store?: EventStore;

  constructor(registry: Registry) {
    const counter = (name: string, help: string) => new Counter({ name, help, labelNames: ['saga_type'], registers: [registry] });
    this.started = counter('saga_started_total', 'Sagas started');
    this.completed = counter('saga_completed_total', 'Sagas completed');
    this.compensated = counter('saga_compensated_total', 'Sagas fully compensated');
    this.stuck = counter('saga_compensation_stuck_total', 'Times a saga parked because a compensation kept failing (COMPENSATION_STUCK)');
    this.failed = counter('saga_forward_recovery_failed_total', 'Times a saga parked because a step past the pivot kept failing (FAILED)');
    this.stepSeconds = new Histogram({
      name: 'saga_step_duration_seconds',
      help: 'Forward step duration, retries included',
      labelNames: ['saga_type', 'step', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });
    this.compensationSeconds = new Histogram({
      name: 'saga_compensation_duration_seconds',
      help: 'Compensation (undo) duration, retries included',
      labelNames: ['saga_type', 'compensation', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });
  }

  use(store: EventStore): void {
    this.store = store;
  }

  /** One append to the stream of saga `sagaId`. */
  async observe(sagaId: string, write: StreamWrite): Promise<void> {
    const started = write.events.find((e) => e.type === 'SagaStarted');
    if (started) this.types.set(sagaId, (started.data as Started).sagaType);
    const sagaType = this.types.get(sagaId) ?? (await this.lookUpType(sagaId));
    // A fork's copies of its original's events were counted when they happened.
    for (const event of write.events) if (!event.metadata?.inheritedFrom) this.count(sagaType, event);
  }

  private count(saga_type: string, event: NewEvent): void {
    const data = event.data as Timed;
    switch (event.type) {
      case 'SagaStarted':
        return this.started.inc({ saga_type });
      case 'SagaCompleted':
        return this.completed.inc({ saga_type });
      case 'SagaCompensated':
        return this.compensated.inc({ saga_type });
      case 'CompensationStuck':
        return this.stuck.inc({ saga_type });
      case 'ForwardRecoveryFailed':
        return this.failed.inc({ saga_type });
      case 'StepSucceeded':
      case 'StepFailed':
        return this.stepSeconds.observe(
          { saga_type, step: data.step, outcome: event.type === 'StepSucceeded' ? 'succeeded' : 'failed' },
          data.durationMs / 1000,
        );
      case 'CompensationSucceeded':
      case 'CompensationFailed':
        return this.compensationSeconds.observe(
          { saga_type, compensation: data.compensation ?? data.step, outcome: event.type === 'CompensationSucceeded' ? 'succeeded' : 'failed' },
          data.durationMs / 1000,
        );
    }
  }

  /**
   * A saga this process did not start (recovered from another, or started
   * before a restart): its SagaStarted, read through the store, so a newer
   * version of the event arrives upcast like everywhere else.
   */
  private async lookUpType(sagaId: string): Promise<string> {
    const [started] = this.store ? await this.store.readStreamTypes<Started>(sagaStreamId(sagaId), ['SagaStarted']) : [];
    const sagaType = started?.data.sagaType ?? 'unknown';
    this.types.set(sagaId, sagaType);
    return sagaType;
  }
}

/** Saga id → type for the sagas this process is running; bounded, oldest out first. */
class SagaTypeCache {
  private readonly byId = new Map<string, string>();
  constructor(private readonly capacity = 10_000) {}

  get(sagaId: string): string | undefined {
    return this.byId.get(sagaId);
  }

  set(sagaId: string, sagaType: string): void {
    this.byId.delete(sagaId);
    this.byId.set(sagaId, sagaType);
    if (this.byId.size > this.capacity) this.byId.delete(this.byId.keys().next().value!);
  }
}
