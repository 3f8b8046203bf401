import type { Consumer } from '../consumers/consumer';
import type { Projection } from './projection';

/** A read model as a consumer: written in the checkpoint's transaction, rebuilt beside the live version. */
export function projectionConsumer(projection: Projection): Consumer {
  return {
    name: projection.name,
    kind: 'projection',
    rulesVersion: projection.rulesVersion,
    delivery: 'transaction',
    wants: (event) => projection.wants?.(event) ?? true,
    handle: (events, { tx, version }) => {
      if (!tx) throw new Error(`${projection.name}: a projection applies inside the checkpoint's transaction`);
      return projection.apply(tx, version, events);
    },
    drop: (db, version) => projection.drop(db, version),
  };
}
