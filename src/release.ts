/**
 * The DBOS application version of this code. DBOS recovers a pending workflow
 * only in a process of the same version; by default it hashes the workflow
 * source, so any edit (even a comment) would silently strand in-flight sagas.
 *
 * Bump this deliberately, and only when a saga's sequence of steps changes in a
 * way old checkpoints cannot replay. See README "Operations: redeploys".
 */
// v2: a step with a provider call is two DBOS steps (the call, then the
// transaction) and a pivot is entered in a step of its own, so v1 checkpoints
// do not replay under this code; v1 sagas are drained by v1 processes.
export const WORKFLOW_VERSION = 'saga-orchestrator-v2';
