-- A consumer's round commits its writes (a projection's rows) and its
-- checkpoint's move in one statement, with no transaction around it: one
-- round trip instead of BEGIN, each write, the move and COMMIT. The move is a
-- compare-and-set under the lease's fence; when it is refused (the lease was
-- lost, or a replay raised the fence), this raises, and the statement's
-- writes roll back with it.
CREATE FUNCTION consumer_moves_applied(moved bigint, expected int) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF moved <> expected THEN
    RAISE EXCEPTION '% of % consumer leases were lost', expected - moved, expected
      USING ERRCODE = 'CL409';
  END IF;
END $$;
