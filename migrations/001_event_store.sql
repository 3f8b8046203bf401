-- The event store: streams, events, command ids, snapshots.
--
-- Stream ids are `<category>-<id>` (message-db's convention); the category is
-- stored as stream_type so category feeds are a plain index scan.

CREATE TABLE streams (
  stream_id        text PRIMARY KEY,
  stream_type      text NOT NULL,
  -- Number of events in the stream; 0 only inside the transaction creating it.
  version          bigint NOT NULL DEFAULT 0,
  -- Transaction of the latest append: an older transaction may not append after
  -- it, or the feed (ordered by txid) would disagree with stream order.
  last_txid        xid8,
  -- Per-stream monotonic clock, so "as of time T" never splits out of order.
  last_recorded_at timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE events (
  global_position bigint GENERATED ALWAYS AS IDENTITY,
  -- The writer's transaction: readers only take rows of transactions older than
  -- every transaction still running, so a late commit is never skipped.
  txid            xid8 NOT NULL DEFAULT pg_current_xact_id(),
  stream_id       text NOT NULL,
  stream_type     text NOT NULL,
  stream_position bigint NOT NULL CHECK (stream_position >= 1),
  event_id        uuid NOT NULL,
  type            text NOT NULL,
  schema_version  integer NOT NULL CHECK (schema_version >= 1),
  data            jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
  metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
  correlation_id  text,
  causation_id    text,
  recorded_at     timestamptz NOT NULL,
  PRIMARY KEY (stream_id, stream_position)
);

CREATE UNIQUE INDEX events_global_position ON events (global_position);
CREATE UNIQUE INDEX events_event_id ON events (event_id);
CREATE INDEX events_global_feed ON events (txid, global_position);
CREATE INDEX events_category_feed ON events (stream_type, txid, global_position);
CREATE INDEX events_correlation ON events (correlation_id, global_position) WHERE correlation_id IS NOT NULL;

-- Events are facts: no code path may rewrite or remove one.
CREATE FUNCTION events_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events are immutable: % on table events is not allowed', TG_OP
    USING ERRCODE = 'ES403', HINT = 'Append a new event (or add an upcaster) instead of changing history.';
END $$;

CREATE TRIGGER events_no_update_or_delete BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_are_immutable();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_are_immutable();

-- Command ids seen by append_events, with the result they produced, so a
-- repeated command (a step re-run after a crash) gets the original answer.
CREATE TABLE commands (
  command_id  text PRIMARY KEY,
  result      jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);

-- A cache of folded state. Keyed by reducer version: a changed reducer simply
-- stops finding old snapshots.
CREATE TABLE snapshots (
  stream_id         text NOT NULL,
  reducer           text NOT NULL,
  reducer_version   integer NOT NULL,
  stream_position   bigint NOT NULL,
  -- recorded_at of the event at stream_position: lets "as of time T" use it.
  event_recorded_at timestamptz NOT NULL,
  state             jsonb NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_id, reducer, reducer_version, stream_position)
);

-- append_events: one atomic append to one or more streams.
--
-- p_expected, per stream: -1 any, -2 no stream, -3 stream exists, N >= 0 the
-- exact current version. Events are given column-wise; p_event_stream holds,
-- for each event, the 1-based index of its stream in p_stream_ids.
--
-- Returns {"duplicate": bool, "txid": text, "streams": [{"streamId", "previousVersion",
-- "version", "positions": [global positions]}]}. A command id seen before returns the
-- first result with "duplicate": true and writes nothing.
CREATE FUNCTION append_events(
  p_command_id      text,
  p_stream_ids      text[],
  p_expected        bigint[],
  p_event_stream    integer[],
  p_event_ids       uuid[],
  p_types           text[],
  p_schema_versions integer[],
  p_data            jsonb[],
  p_metadata        jsonb[],
  p_correlation_ids text[],
  p_causation_ids   text[],
  p_notify          boolean DEFAULT true
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_txid     xid8 := pg_current_xact_id();
  -- Millisecond precision, what JavaScript and ISO-8601 clients carry: an
  -- event's own reported timestamp must find it in an "as of" query.
  v_now      timestamptz := date_trunc('milliseconds', clock_timestamp());
  v_idx      integer;
  v_stream   text;
  v_expected bigint;
  v_version  bigint;
  v_last_txid xid8;
  v_last_at  timestamptz;
  v_at       timestamptz;
  v_count    integer;
  v_positions bigint[];
  v_streams  jsonb := '[]'::jsonb;
  v_result   jsonb;
BEGIN
  IF p_command_id IS NOT NULL THEN
    -- Waits for a concurrent holder of the same id; then either we own it or we
    -- read the result it committed.
    INSERT INTO commands (command_id, result) VALUES (p_command_id, 'null') ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      SELECT result INTO v_result FROM commands WHERE command_id = p_command_id;
      RETURN v_result || '{"duplicate": true}'::jsonb;
    END IF;
  END IF;

  -- Lock streams in name order so multi-stream appends cannot deadlock.
  FOR v_idx IN
    SELECT s.ord FROM unnest(p_stream_ids) WITH ORDINALITY AS s(id, ord) ORDER BY s.id
  LOOP
    v_stream := p_stream_ids[v_idx];
    v_expected := p_expected[v_idx];

    SELECT version, last_txid, last_recorded_at INTO v_version, v_last_txid, v_last_at
      FROM streams WHERE stream_id = v_stream FOR UPDATE;
    IF NOT FOUND THEN
      INSERT INTO streams (stream_id, stream_type) VALUES (v_stream, split_part(v_stream, '-', 1))
        ON CONFLICT DO NOTHING;
      -- Created meanwhile by a concurrent append: wait for it and read it.
      SELECT version, last_txid, last_recorded_at INTO v_version, v_last_txid, v_last_at
        FROM streams WHERE stream_id = v_stream FOR UPDATE;
    END IF;

    IF (v_expected = -2 AND v_version <> 0)
       OR (v_expected = -3 AND v_version = 0)
       OR (v_expected >= 0 AND v_version <> v_expected) THEN
      RAISE EXCEPTION 'wrong expected version for stream %: expected %, actual %', v_stream,
        CASE v_expected WHEN -2 THEN 'no_stream' WHEN -3 THEN 'stream_exists' ELSE v_expected::text END,
        v_version
        USING ERRCODE = 'ES409',
              DETAIL = jsonb_build_object('streamId', v_stream, 'expected', v_expected, 'actual', v_version)::text;
    END IF;

    -- See streams.last_txid: the caller retries with a fresh transaction.
    IF v_last_txid IS NOT NULL AND v_txid < v_last_txid THEN
      RAISE EXCEPTION 'stream % was appended by a newer transaction; retry', v_stream
        USING ERRCODE = '40001';
    END IF;

    v_at := greatest(v_now, v_last_at);
    WITH inserted AS (
      INSERT INTO events (txid, stream_id, stream_type, stream_position, event_id, type, schema_version,
                          data, metadata, correlation_id, causation_id, recorded_at)
      SELECT v_txid, v_stream, split_part(v_stream, '-', 1),
             v_version + row_number() OVER (ORDER BY e.ord),
             e.id, e.type, e.sv, e.data, coalesce(e.meta, '{}'::jsonb), e.corr, e.caus, v_at
        FROM unnest(p_event_stream, p_event_ids, p_types, p_schema_versions, p_data, p_metadata,
                    p_correlation_ids, p_causation_ids)
             WITH ORDINALITY AS e(s, id, type, sv, data, meta, corr, caus, ord)
       WHERE e.s = v_idx
       ORDER BY e.ord
      RETURNING global_position, stream_position
    )
    SELECT coalesce(array_agg(global_position ORDER BY stream_position), '{}'), count(*)
      INTO v_positions, v_count FROM inserted;

    IF v_count > 0 THEN
      UPDATE streams SET version = v_version + v_count, last_txid = v_txid, last_recorded_at = v_at
       WHERE stream_id = v_stream;
    END IF;

    v_streams := v_streams || jsonb_build_array(jsonb_build_object(
      'streamId', v_stream, 'previousVersion', v_version, 'version', v_version + v_count,
      'positions', to_jsonb(v_positions)));
  END LOOP;

  v_result := jsonb_build_object('txid', v_txid::text, 'streams', v_streams);
  IF p_command_id IS NOT NULL THEN
    UPDATE commands SET result = v_result WHERE command_id = p_command_id;
  END IF;
  IF p_notify AND coalesce(array_length(p_event_ids, 1), 0) > 0 THEN
    -- Delivered only on commit; subscribers use it as a wake-up, never as data.
    PERFORM pg_notify('events_appended', '');
  END IF;
  RETURN v_result || '{"duplicate": false}'::jsonb;
END $$;
