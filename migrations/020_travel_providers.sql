-- The books of the simulated travel supplier (src/providers/travel-simulator.ts):
-- flights, hotel rooms and rental cars held for trips, their cancellations and
-- the itineraries issued over them. Like the payment gateway's and the
-- carrier's (002_providers.sql), in tables of their own that nothing else writes.

-- One row per (operation, idempotency key): the first outcome of the call,
-- exactly as the carrier's (see src/providers/perform-once.ts).
CREATE TABLE travel_requests (LIKE carrier_requests INCLUDING ALL);

-- Every call the supplier received, counted (and committed) before it acts: the
-- flaky scenario fails a key's first calls, and a test sees a slow call arrive
-- before it kills the process that made it.
CREATE TABLE travel_calls (
  operation       text NOT NULL,
  idempotency_key text NOT NULL,
  trip_id         text NOT NULL,
  calls           integer NOT NULL,
  last_call_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (operation, idempotency_key)
);
CREATE INDEX travel_calls_trip ON travel_calls (trip_id);

-- Confirmation numbers and itinerary references are the supplier's own sequence.
CREATE SEQUENCE travel_confirmation_numbers;

CREATE TABLE travel_reservations (
  reservation_id text PRIMARY KEY,
  trip_id        text NOT NULL,
  traveller_id   text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('flight', 'hotel', 'car')),
  confirmation   text NOT NULL UNIQUE,
  details        jsonb NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX travel_reservations_trip ON travel_reservations (trip_id);

-- At most one cancellation per reservation: cancelling again is a no-op.
CREATE TABLE travel_cancellations (
  reservation_id text PRIMARY KEY REFERENCES travel_reservations,
  cancelled_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE travel_itineraries (
  itinerary_id    text PRIMARY KEY,
  trip_id         text NOT NULL,
  reference       text NOT NULL UNIQUE,
  reservation_ids text[] NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX travel_itineraries_trip ON travel_itineraries (trip_id);
