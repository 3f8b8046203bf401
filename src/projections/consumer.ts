import type { Consumer } from '../consumers/consumer';
import { RowCache } from '../consumers/row-cache';
import type { Projection } from './projection';

/** A read model as a consumer: its writes commit with the checkpoint's move; rebuilt beside the live version. */
export function projectionConsumer(projection: Projection): Consumer {
  return {
    name: projection.name,
    kind: 'projection',
    rulesVersion: projection.rulesVersion,
    delivery: 'transaction',
    wants: (event) => projection.wants?.(event) ?? true,
    handle: (events, { db, version, cache }) => {
      if (!db) throw new Error(`${projection.name}: a projection reads its rows through the context's db`);
      return projection.apply(events, { version, db, cache: cache ?? new RowCache(0) });
    },
    drop: (db, version) => projection.drop(db, version),
  };
}
