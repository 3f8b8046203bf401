import type { ProcessManager } from './definition';
import { orderReturns } from './order-returns';
import { ProcessManagerRunner, type RunnerDeps, type RunnerOptions } from './runner';

export * from './definition';
export { orderReturns, returnSagaId } from './order-returns';
export { ProcessManagerRunner, type BatchResult, type RunnerDeps, type RunnerOptions } from './runner';

/** The process managers this service runs, in every process (one handles each batch). */
export const processManagers: ProcessManager[] = [orderReturns];

export interface RunningProcessManagers {
  runners: ProcessManagerRunner[];
  stop(): Promise<void>;
}

export async function startProcessManagers(deps: RunnerDeps, options?: RunnerOptions): Promise<RunningProcessManagers> {
  const runners = await Promise.all(processManagers.map((pm) => new ProcessManagerRunner(deps, pm, options).start()));
  return {
    runners,
    async stop() {
      await Promise.all(runners.map((r) => r.stop()));
    },
  };
}
