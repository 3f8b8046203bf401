import { Counter, type Registry } from 'prom-client';
import type { StreamWrite } from '../eventstore';
import { categoryOf } from '../eventstore/store';

/** Appends this process committed, and the events in them by stream category. */
export class StoreMetrics {
  private readonly appends: Counter;
  private readonly events: Counter<'stream_type'>;

  constructor(registry: Registry) {
    this.appends = new Counter({ name: 'eventstore_appends_total', help: 'Appends committed (one per atomic append, of any number of events)', registers: [registry] });
    this.events = new Counter({
      name: 'eventstore_events_appended_total',
      help: 'Events appended, by stream category',
      labelNames: ['stream_type'],
      registers: [registry],
    });
  }

  observe(writes: StreamWrite[]): void {
    this.appends.inc();
    for (const write of writes) {
      if (write.events.length) this.events.inc({ stream_type: categoryOf(write.streamId) }, write.events.length);
    }
  }
}
