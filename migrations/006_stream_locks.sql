-- Stream locks taken before the writer's transaction id exists.
--
-- The feed orders events by writer transaction id, so a stream's events must
-- be written by transactions in increasing id order. append_events used to
-- read its transaction id first and lock the stream row after (a row lock
-- itself needs an id), so an append that waited for the lock behind a younger
-- transaction found itself older and had to fail (40001) and be retried in a
-- fresh transaction.
--
-- Now every append first takes a transaction-scoped advisory lock per stream
-- (these need no transaction id), in key order so two appends never deadlock,
-- and only then asks for its id. Whoever wrote the stream before committed
-- before the lock was granted, so it holds an older id. A saga step takes
-- the same locks (lock_streams) before it reads the aggregates it decides on:
-- it decides on current state, no other writer can slip in between, and it
-- cannot meet a version conflict or an ordering failure inside its
-- transaction. The ordering check stays, for a caller whose transaction wrote
-- something else before appending.

-- The second key is the stream id's hash: a collision only makes two streams
-- share a lock.
CREATE FUNCTION lock_streams(p_stream_ids text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_key integer;
BEGIN
  FOR v_key IN SELECT DISTINCT hashtext(id) FROM unnest(p_stream_ids) AS id ORDER BY 1 LOOP
    PERFORM pg_advisory_xact_lock(1516896262, v_key); -- 0x5a6a0006: stream locks
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION append_events(
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
  v_txid     xid8;
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
  -- Before anything that writes: see the header.
  PERFORM lock_streams(p_stream_ids);
  v_txid := pg_current_xact_id();

  IF p_command_id IS NOT NULL THEN
    -- Waits for a concurrent holder of the same id; then either we own it or we
    -- read the result it committed.
    INSERT INTO commands (command_id, result) VALUES (p_command_id, 'null') ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      SELECT result INTO v_result FROM commands WHERE command_id = p_command_id;
      RETURN v_result || '{"duplicate": true}'::jsonb;
    END IF;
  END IF;

  FOR v_idx IN
    SELECT s.ord FROM unnest(p_stream_ids) WITH ORDINALITY AS s(id, ord) ORDER BY s.id
  LOOP
    v_stream := p_stream_ids[v_idx];
    v_expected := p_expected[v_idx];

    SELECT version, last_txid, last_recorded_at INTO v_version, v_last_txid, v_last_at
      FROM streams WHERE stream_id = v_stream FOR UPDATE;
    -- A stream is created by its first event: a write of no events (a command
    -- that decided nothing) leaves no empty stream behind.
    IF NOT FOUND AND v_idx = ANY (p_event_stream) THEN
      INSERT INTO streams (stream_id, stream_type) VALUES (v_stream, split_part(v_stream, '-', 1))
        ON CONFLICT DO NOTHING;
      SELECT version, last_txid, last_recorded_at INTO v_version, v_last_txid, v_last_at
        FROM streams WHERE stream_id = v_stream FOR UPDATE;
    END IF;
    v_version := coalesce(v_version, 0);

    IF (v_expected = -2 AND v_version <> 0)
       OR (v_expected = -3 AND v_version = 0)
       OR (v_expected >= 0 AND v_version <> v_expected) THEN
      RAISE EXCEPTION 'wrong expected version for stream %: expected %, actual %', v_stream,
        CASE v_expected WHEN -2 THEN 'no_stream' WHEN -3 THEN 'stream_exists' ELSE v_expected::text END,
        v_version
        USING ERRCODE = 'ES409',
              DETAIL = jsonb_build_object('streamId', v_stream, 'expected', v_expected, 'actual', v_version)::text;
    END IF;

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
    PERFORM pg_notify('events_appended', '');
  END IF;
  RETURN v_result || '{"duplicate": false}'::jsonb;
END $$;
