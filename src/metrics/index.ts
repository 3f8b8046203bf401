import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { Pool } from '../db/pool';
import type { EventStore, StreamWrite } from '../eventstore';
import type { Logger } from '../log';
import { FleetMetrics, type FleetSource } from './fleet-metrics';
import { ParkedSagaMetrics } from './parked-metrics';
import { ConsumerMetrics, type ConsumerLagSource } from './consumer-metrics';
import { sagaIdOf } from '../saga/events';
import { SagaMetrics } from './saga-metrics';
import { StoreMetrics } from './store-metrics';

export type { FleetSnapshot, FleetSource } from './fleet-metrics';
export type { ConsumerLagSource } from './consumer-metrics';

/**
 * The process's Prometheus metrics, in a registry of its own (not prom-client's
 * global one) so that several apps in one process, as in the tests, never
 * share or clash.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly appends = new StoreMetrics(this.registry);
  private readonly sagas: SagaMetrics;
  private readonly consumers: ConsumerMetrics;
  private readonly fleet: FleetMetrics;
  private readonly outboxLag = new Histogram({
    name: 'outbox_lag_seconds',
    help: "Age of an event when NATS JetStream acked its publication (commit -> broker ack)",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  constructor(
    pool: Pool,
    private readonly log: Logger,
  ) {
    collectDefaultMetrics({ register: this.registry });
    this.sagas = new SagaMetrics(this.registry);
    this.consumers = new ConsumerMetrics(this.registry);
    this.fleet = new FleetMetrics(this.registry);
    new ParkedSagaMetrics(this.registry, pool);
  }

  /** For the event store's `onAppended`: called after each append it committed. */
  readonly onAppended = (writes: StreamWrite[]): void => {
    // Metrics must never break a write: count, and log anything odd.
    try {
      this.appends.observe(writes);
      for (const write of writes) {
        const sagaId = sagaIdOf(write.streamId);
        if (sagaId === undefined) continue;
        this.sagas.observe(sagaId, write).catch((err) => this.log.warn({ err, sagaId }, 'saga metrics not recorded'));
      }
    } catch (err) {
      this.log.warn({ err }, 'append metrics not recorded');
    }
  };

  /** For the outbox: called at each broker ack. */
  readonly onOutboxAcked = (_event: unknown, lagMs: number): void => {
    this.outboxLag.observe(lagMs / 1000);
  };

  /** Where saga metrics look up what they did not see written (the store upcasts what it reads). */
  useStore(store: EventStore): void {
    this.sagas.use(store);
  }

  /** Where consumer lag and parked counts come from, once consumers run. */
  useConsumers(source: ConsumerLagSource): void {
    this.consumers.use(source);
  }

  /** Where the fleet's gauges come from, once this process has joined it. */
  useFleet(source: FleetSource): void {
    this.fleet.use(source);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
