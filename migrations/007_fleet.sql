-- The fleet: one row per process incarnation (executor), with a heartbeat lease.
--
-- A process writes its row before it takes any work and renews the lease
-- while it lives. A live process that finds another's lease expired (or
-- released by a graceful shutdown) claims the row in one UPDATE, so exactly
-- one process recovers that executor's pending workflows, through DBOS's own
-- recovery (whose owner token fences the old process should it come back).
-- A process whose renewal finds its row no longer live stops and exits.
CREATE TABLE fleet_executors (
  executor_id         text PRIMARY KEY,
  -- A restart under the same executor id is a new incarnation: it takes the row over.
  incarnation         uuid NOT NULL,
  application_version text NOT NULL,
  role                text NOT NULL,            -- orchestrator | read-side | both
  host                text NOT NULL,
  pid                 integer NOT NULL,
  port                integer,
  status              text NOT NULL CHECK (status IN ('live', 'draining', 'released', 'taken_over')),
  started_at          timestamptz NOT NULL DEFAULT now(),
  heartbeat_at        timestamptz NOT NULL DEFAULT now(),
  lease_expires_at    timestamptz NOT NULL,
  -- Filled in by the process that took the executor's work over.
  taken_over_by       text,
  taken_over_at       timestamptz,
  workflows_recovered integer NOT NULL DEFAULT 0
);

CREATE INDEX fleet_executors_expiring ON fleet_executors (lease_expires_at) WHERE status IN ('live', 'draining', 'released');
