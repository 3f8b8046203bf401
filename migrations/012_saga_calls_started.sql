-- A call that passed its cancel/deadline guard (a step's call before the
-- pivot) is marked here before it goes out, under its command id
-- (`<saga>/<n>-<label>`, the same on every replay). If the process dies after
-- the call but before DBOS checkpointed its answer, the replay finds the mark
-- and calls again whatever the guard says now: the first run may have had its
-- effect, only the call (by its idempotency key) can tell, and only a recorded
-- effect is undone when the saga compensates.
CREATE TABLE saga_calls_started (
  call_id    text PRIMARY KEY,
  started_at timestamptz NOT NULL DEFAULT now()
);
