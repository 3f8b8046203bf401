-- locked_read: a saga step's reads in one round trip.
--
-- Locks the streams the caller will write (lock_streams, as every append
-- does), then reads, each query after the locks were granted (a plpgsql
-- statement sees what committed before it started): the events of some types
-- in one stream (a saga's operator requests) and, for each aggregate, its
-- newest snapshot and the events after it.
--
-- Returns one row per item: kind 'typed' (an event of p_typed_stream),
-- 'snapshot' (ord = the aggregate's index in p_streams, from 1), or 'event'.
CREATE FUNCTION locked_read(
  p_lock           text[],
  p_typed_stream   text,
  p_types          text[],
  p_streams        text[],
  p_reducers       text[],
  p_reducer_versions integer[],
  p_snapshots      boolean
) RETURNS TABLE (kind text, ord integer, stream_position bigint, type text, schema_version integer, data jsonb,
                 metadata jsonb, recorded_at timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM lock_streams(p_lock);

  RETURN QUERY
    SELECT 'typed', 0, e.stream_position, e.type, e.schema_version, e.data, e.metadata, e.recorded_at
      FROM events e
     WHERE p_typed_stream IS NOT NULL AND e.stream_id = p_typed_stream AND e.type = ANY (p_types)
     ORDER BY e.stream_position;

  RETURN QUERY
    WITH target AS (
      SELECT * FROM unnest(p_streams, p_reducers, p_reducer_versions) WITH ORDINALITY AS t(stream_id, reducer, reducer_version, ord)),
    start AS (
      SELECT target.ord::integer AS ord, target.stream_id, snap.stream_position, snap.state FROM target
        LEFT JOIN LATERAL (
          SELECT s.stream_position, s.state FROM snapshots s
           WHERE p_snapshots AND s.stream_id = target.stream_id AND s.reducer = target.reducer
             AND s.reducer_version = target.reducer_version
           ORDER BY s.stream_position DESC LIMIT 1) AS snap ON true)
    SELECT 'snapshot', start.ord, start.stream_position, NULL::text, NULL::integer, start.state, NULL::jsonb, NULL::timestamptz
      FROM start WHERE start.stream_position IS NOT NULL
    UNION ALL
    SELECT 'event', start.ord, e.stream_position, e.type, e.schema_version, e.data, NULL::jsonb, NULL::timestamptz
      FROM start JOIN events e ON e.stream_id = start.stream_id AND e.stream_position > coalesce(start.stream_position, 0)
     ORDER BY 2, 1 DESC, 3;
END $$;
