import { Gauge, type Registry } from 'prom-client';

/** One consumer's progress, as the consumers module reports it. */
export interface ConsumerLag {
  name: string;
  kind: string;
  /** Events in the feed the projection has not applied yet. */
  lagEvents: number;
  /** Age of the oldest unapplied event; 0 when caught up. */
  lagMs: number;
  /** Events parked in the dead-letter table. */
  parked: number;
}

export type ConsumerLagSource = () => Promise<ConsumerLag[]>;

/**
 * Projection lag and parked events, read from the projections module at
 * scrape time (they are state in the database, not things this process
 * counts). Without a source the gauges export no series.
 */
export class ConsumerMetrics {
  private source?: ConsumerLagSource;

  constructor(registry: Registry) {
    // A failing read leaves these series out rather than failing the whole scrape.
    const statuses = async () => (this.source ? await this.source().catch(() => []) : []);
    let last: Promise<ConsumerLag[]> | undefined;
    // prom-client collects the three gauges together on each scrape: read once for all three.
    const read = () => {
      last ??= statuses().finally(() => setImmediate(() => (last = undefined)));
      return last;
    };
    // projection_* (kept for existing dashboards) for read models; consumer_* for every kind.
    const gauge = (name: string, help: string, value: (s: ConsumerLag) => number, projectionsOnly: boolean) =>
      new Gauge({
        name,
        help,
        labelNames: projectionsOnly ? ['projection'] : ['consumer', 'kind'],
        registers: [registry],
        async collect() {
          this.reset();
          for (const s of await read()) {
            if (!projectionsOnly) this.set({ consumer: s.name, kind: s.kind }, value(s));
            else if (s.kind === 'projection') this.set({ projection: s.name }, value(s));
          }
        },
      });
    for (const projectionsOnly of [true, false]) {
      const prefix = projectionsOnly ? 'projection' : 'consumer';
      gauge(`${prefix}_lag_events`, `Events in the feed a ${prefix} has not handled yet`, (s) => s.lagEvents, projectionsOnly);
      gauge(`${prefix}_lag_seconds`, `Age of the oldest event a ${prefix} has not handled yet`, (s) => s.lagMs / 1000, projectionsOnly);
      gauge(`${prefix}_parked_events`, `Events parked in the dead-letter table, per ${prefix}`, (s) => s.parked, projectionsOnly);
    }
  }

  use(source: ConsumerLagSource): void {
    this.source = source;
  }
}
