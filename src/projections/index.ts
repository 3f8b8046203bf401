import type { Projection } from './projection';
import { orderSummaryProjection } from './read-models/order-summary';
import { sagaOverviewProjection } from './read-models/saga-overview';
import { stockLevelsProjection } from './read-models/stock-levels';

export * from './consumer';
export * from './projection';
export * from './read-models/order-summary';
export * from './read-models/saga-overview';
export * from './read-models/stock-levels';

/** The read models every server process keeps up to date. */
export const readModels = (): Projection[] => [orderSummaryProjection, sagaOverviewProjection, stockLevelsProjection];
