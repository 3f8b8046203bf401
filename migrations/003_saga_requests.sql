-- Start requests by idempotency key. The key becomes the saga's id; the hash of
-- the request body tells a retry (same body: same saga) from a mistake (another
-- body under a used key: 409). The input is kept so a start interrupted by a
-- crash can be completed by the retry.
CREATE TABLE saga_requests (
  saga_id      text PRIMARY KEY,
  saga_type    text NOT NULL,
  business_key text NOT NULL,
  request_hash text NOT NULL,
  input        jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
