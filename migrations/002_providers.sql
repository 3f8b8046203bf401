-- The books of the simulated outside systems (src/providers/). A real payment
-- gateway or carrier keeps its own records; ours live in the same database but
-- in tables of their own, never touched by the event store or the saga engine.
-- Because they are in Postgres, idempotency keys and attempt counters survive a
-- process restart exactly as they would at a real provider.

-- Fault-injection switches the operator (or a test) flips at run time. The set
-- of valid names is fixed in code (src/providers/switches.ts); a missing row
-- means "off".
CREATE TABLE simulator_switches (
  name       text PRIMARY KEY,
  enabled    boolean NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------- payments --

-- One row per (operation, idempotency key): the first outcome of the call,
-- either a result or a business error, so a repeat returns it unchanged.
-- Both columns are NULL only inside the transaction that performs the call;
-- nobody else ever sees that state (they wait on the key's row lock).
CREATE TABLE payment_requests (
  operation       text NOT NULL,
  idempotency_key text NOT NULL,
  request         jsonb NOT NULL,
  result          jsonb,
  error           jsonb,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (operation, idempotency_key),
  CHECK (result IS NULL OR error IS NULL)
);

CREATE TABLE payment_authorizations (
  authorization_id text PRIMARY KEY,
  order_id         text NOT NULL,
  amount           bigint NOT NULL CHECK (amount > 0),
  currency         text NOT NULL,
  token            text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_authorizations_order ON payment_authorizations (order_id);

-- At most one void per authorization: a second void (new key) returns this one.
CREATE TABLE payment_voids (
  void_id          text PRIMARY KEY,
  authorization_id text NOT NULL UNIQUE REFERENCES payment_authorizations,
  created_at       timestamptz NOT NULL DEFAULT now()
);

-- At most one capture per authorization (partial capture allowed, once).
CREATE TABLE payment_captures (
  capture_id       text PRIMARY KEY,
  authorization_id text NOT NULL UNIQUE REFERENCES payment_authorizations,
  amount           bigint NOT NULL CHECK (amount > 0),
  created_at       timestamptz NOT NULL DEFAULT now()
);

-- Several partial refunds per capture, together never above the capture.
CREATE TABLE payment_refunds (
  refund_id  text PRIMARY KEY,
  capture_id text NOT NULL REFERENCES payment_captures,
  amount     bigint NOT NULL CHECK (amount > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_refunds_capture ON payment_refunds (capture_id);

-- Authorize attempts per idempotency key, counted even when the attempt fails
-- transiently (token tok_flaky fails its first attempts, then succeeds).
CREATE TABLE payment_authorize_attempts (
  idempotency_key text PRIMARY KEY,
  attempts        integer NOT NULL,
  last_attempt_at timestamptz NOT NULL DEFAULT now()
);

-- ----------------------------------------------------------------- carrier --

CREATE TABLE carrier_requests (
  operation       text NOT NULL,
  idempotency_key text NOT NULL,
  request         jsonb NOT NULL,
  result          jsonb,
  error           jsonb,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (operation, idempotency_key),
  CHECK (result IS NULL OR error IS NULL)
);

-- Tracking numbers are the carrier's own sequence: TRK0000000001, TRK0000000002, ...
CREATE SEQUENCE carrier_tracking_numbers;

CREATE TABLE carrier_bookings (
  booking_id      text PRIMARY KEY,
  order_id        text NOT NULL,
  carrier         text NOT NULL,
  tracking_number text NOT NULL UNIQUE
                  DEFAULT 'TRK' || lpad(nextval('carrier_tracking_numbers')::text, 10, '0'),
  address         jsonb NOT NULL,
  items           jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX carrier_bookings_order ON carrier_bookings (order_id);

-- At most one cancellation per booking: cancelling again is a no-op.
CREATE TABLE carrier_cancellations (
  booking_id   text PRIMARY KEY REFERENCES carrier_bookings,
  cancelled_at timestamptz NOT NULL DEFAULT now()
);
