-- One consumer mechanism (src/consumers/): projections, process managers and
-- the outbox follow the feed through the same table of checkpoints, leases and
-- dead letters. The projection table becomes that table (its rows are kept);
-- process managers' checkpoints move into it, so nothing is read twice after
-- the upgrade.

ALTER TABLE projection_checkpoints RENAME TO consumer_checkpoints;
ALTER TABLE consumer_checkpoints RENAME CONSTRAINT projection_checkpoints_pkey TO consumer_checkpoints_pkey;
ALTER INDEX projection_checkpoints_one_live RENAME TO consumer_checkpoints_one_live;
ALTER INDEX projection_checkpoints_one_rebuild RENAME TO consumer_checkpoints_one_rebuild;
ALTER TABLE consumer_checkpoints
  ADD COLUMN kind text NOT NULL DEFAULT 'projection' CHECK (kind IN ('projection', 'process-manager', 'outbox'));
ALTER TABLE consumer_checkpoints ALTER COLUMN kind DROP DEFAULT;

INSERT INTO consumer_checkpoints (name, version, kind, rules_version, status, txid, position, updated_at, live_since)
SELECT name, 1, 'process-manager', 1, 'live', txid, position, updated_at, now() FROM process_manager_checkpoints;
DROP TABLE process_manager_checkpoints;

ALTER TABLE projection_dead_letters RENAME TO consumer_dead_letters;
ALTER TABLE consumer_dead_letters RENAME COLUMN projection TO consumer;
ALTER TABLE consumer_dead_letters RENAME CONSTRAINT projection_dead_letters_pkey TO consumer_dead_letters_pkey;
ALTER INDEX projection_dead_letters_parked RENAME TO consumer_dead_letters_parked;
