import type { ProcessManager } from './definition';
import { orderReturns } from './order-returns';

export * from './consumer';
export * from './definition';
export { orderReturns, returnSagaId } from './order-returns';

/** The process managers this service runs on its own feed, in every process (the lease picks one). */
export const processManagers: ProcessManager[] = [orderReturns];
