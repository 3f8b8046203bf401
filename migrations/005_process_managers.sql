-- Process managers (src/process-managers/): how far each one has read the
-- global feed. Advanced in the transaction that holds the process manager's
-- advisory lock, after its reactions ran; a reaction that ran before a crash
-- is run again on restart, which is harmless because every reaction's id
-- (saga id, command id) is derived from the event's id.
CREATE TABLE process_manager_checkpoints (
  name       text PRIMARY KEY,
  txid       xid8 NOT NULL DEFAULT '0',
  position   bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
