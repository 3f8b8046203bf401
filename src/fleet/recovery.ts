import * as executorModule from '@dbos-inc/dbos-sdk/internal/dbos-executor';

/**
 * Recovering a dead executor's workflows from another process. Without DBOS
 * Conductor, DBOS 5.3 only recovers a process's own executor id at launch;
 * the same recovery for another id is internal
 * (`DBOSExecutor.recoverPendingWorkflows`). It re-enqueues that executor's
 * PENDING workflows of our application version with their recovery counters
 * kept and their owner token cleared, so any live process claims them and a
 * late step of the dead process fails DBOS's owner check. Pinned with the
 * exact DBOS version, checked at start (assertRecoveryApi) and exercised by
 * the fleet tests with real processes.
 */
interface Executor {
  recoverPendingWorkflows(executorIDs: string[]): Promise<{ workflowID: string }[]>;
}

const DBOSExecutor = (executorModule as { DBOSExecutor?: { globalInstance?: Executor; prototype?: Executor } }).DBOSExecutor;

export function assertRecoveryApi(): void {
  if (typeof DBOSExecutor?.prototype?.recoverPendingWorkflows !== 'function') {
    throw new Error('DBOS internal DBOSExecutor.recoverPendingWorkflows is missing: this build pins @dbos-inc/dbos-sdk 5.3.0; see src/fleet/recovery.ts');
  }
}

/** Re-enqueue the executors' pending workflows; the ids of those re-enqueued. */
export async function recoverExecutors(executorIds: string[]): Promise<string[]> {
  const executor = DBOSExecutor?.globalInstance;
  if (!executor) throw new Error('DBOS is not launched');
  const handles = await executor.recoverPendingWorkflows(executorIds);
  return handles.map((h) => h.workflowID);
}
