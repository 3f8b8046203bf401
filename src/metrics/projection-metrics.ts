import { Gauge, type Registry } from 'prom-client';

/** One projection's progress, as the projections module reports it. */
export interface ProjectionStatus {
  name: string;
  /** Events in the feed the projection has not applied yet. */
  lagEvents: number;
  /** Age of the oldest unapplied event; 0 when caught up. */
  lagMs: number;
  /** Events parked in the dead-letter table. */
  parked: number;
}

export type ProjectionStatusSource = () => Promise<ProjectionStatus[]>;

/**
 * Projection lag and parked events, read from the projections module at
 * scrape time (they are state in the database, not things this process
 * counts). Without a source the gauges export no series.
 */
export class ProjectionMetrics {
  private source?: ProjectionStatusSource;

  constructor(registry: Registry) {
    // A failing read leaves these series out rather than failing the whole scrape.
    const statuses = async () => (this.source ? await this.source().catch(() => []) : []);
    let last: Promise<ProjectionStatus[]> | undefined;
    // prom-client collects the three gauges together on each scrape: read once for all three.
    const read = () => {
      last ??= statuses().finally(() => setImmediate(() => (last = undefined)));
      return last;
    };
    const gauge = (name: string, help: string, value: (s: ProjectionStatus) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['projection'],
        registers: [registry],
        async collect() {
          this.reset();
          for (const status of await read()) this.set({ projection: status.name }, value(status));
        },
      });
    gauge('projection_lag_events', 'Events in the feed a projection has not applied yet', (s) => s.lagEvents);
    gauge('projection_lag_seconds', 'Age of the oldest event a projection has not applied yet', (s) => s.lagMs / 1000);
    gauge('projection_parked_events', 'Events parked in the dead-letter table, per projection', (s) => s.parked);
  }

  use(source: ProjectionStatusSource): void {
    this.source = source;
  }
}
