import { Gauge, type Registry } from 'prom-client';

/** What the fleet reports at scrape time (src/fleet/). */
export interface FleetSnapshot {
  executors: { executorId: string; status: string; leaseValid: boolean; runningSagas: number }[];
  /** Counted by this process since it started. */
  takeovers: number;
  workflowsRecovered: number;
}

export type FleetSource = () => Promise<FleetSnapshot>;

/**
 * The fleet as gauges: live processes, the sagas each runs, and this
 * process's takeovers. Read from the lease table at scrape time.
 */
export class FleetMetrics {
  private source?: FleetSource;

  constructor(registry: Registry) {
    let last: Promise<FleetSnapshot | undefined> | undefined;
    const read = () => {
      last ??= (this.source ? this.source().catch(() => undefined) : Promise.resolve(undefined)).finally(() =>
        setImmediate(() => (last = undefined)),
      );
      return last;
    };
    new Gauge({
      name: 'fleet_processes',
      help: 'Processes in the fleet by lease status (live, draining, released, taken_over); live ones with a valid lease',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        this.reset();
        const fleet = await read();
        for (const e of fleet?.executors ?? []) {
          const status = e.status === 'live' && !e.leaseValid ? 'expired' : e.status;
          this.inc({ status });
        }
      },
    });
    new Gauge({
      name: 'fleet_running_sagas',
      help: 'Sagas each live process runs now (PENDING DBOS workflows on its executor id)',
      labelNames: ['executor'],
      registers: [registry],
      async collect() {
        this.reset();
        const fleet = await read();
        for (const e of fleet?.executors ?? []) if (e.status === 'live' || e.status === 'draining') this.set({ executor: e.executorId }, e.runningSagas);
      },
    });
    new Gauge({
      name: 'fleet_takeovers',
      help: 'Dead processes this process took over since it started',
      registers: [registry],
      async collect() {
        this.set((await read())?.takeovers ?? 0);
      },
    });
    new Gauge({
      name: 'fleet_workflows_recovered',
      help: 'Sagas this process took over from dead processes since it started',
      registers: [registry],
      async collect() {
        this.set((await read())?.workflowsRecovered ?? 0);
      },
    });
  }

  use(source: FleetSource): void {
    this.source = source;
  }
}
