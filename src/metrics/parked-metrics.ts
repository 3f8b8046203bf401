import { Gauge, type Registry } from 'prom-client';
import type { Pool } from '../db/pool';
import { countParkedSagas, PARKED_STATUSES } from '../projections/read-models/saga-overview';

/**
 * `saga_parked{saga_type,status}`: sagas waiting for a person right now
 * (awaiting approval, compensation stuck, failed past the pivot, quarantined),
 * read from the saga-overview read model at scrape time. Unlike the counters
 * it survives restarts and is the same in every process (do not sum it across
 * instances). Every parked status of a saga type that has any parked saga
 * reports a value, 0 included, so a gauge falling back to 0 is seen.
 */
export class ParkedSagaMetrics {
  constructor(registry: Registry, pool: Pool) {
    const seenTypes = new Set<string>();
    new Gauge({
      name: 'saga_parked',
      help: 'Sagas parked right now, waiting for an approval or an operator',
      labelNames: ['saga_type', 'status'],
      registers: [registry],
      async collect() {
        this.reset();
        const counts = await countParkedSagas(pool).catch(() => undefined);
        if (!counts) return; // a failing read leaves the series out rather than failing the scrape
        for (const c of counts) seenTypes.add(c.sagaType);
        for (const type of seenTypes) for (const status of PARKED_STATUSES) this.set({ saga_type: type, status }, 0);
        for (const c of counts) this.set({ saga_type: c.sagaType, status: c.status }, c.count);
      },
    });
  }
}
