-- Projections: read models fed by the global feed (src/projections/).
--
-- A projection has versions (generations). Each version is one row here with
-- its own checkpoint; exactly one version is live (serves reads) and at most
-- one is being rebuilt beside it. Read-model rows carry the version they
-- belong to, so a rebuild writes next to the live rows and the switch is a
-- one-row update: no DDL at run time, and the schema stays in migrations.

CREATE TABLE projection_checkpoints (
  name             text NOT NULL,
  version          integer NOT NULL CHECK (version >= 1),
  -- The projection code's rules version that builds this generation: a
  -- process running other rules leaves it alone (rolling deploys).
  rules_version    integer NOT NULL,
  status           text NOT NULL CHECK (status IN ('live', 'rebuilding', 'retired')),
  -- (txid, position) of the last event applied, as in the feed's order.
  txid             xid8 NOT NULL DEFAULT '0',
  position         bigint NOT NULL DEFAULT 0,
  -- The lease: who applies events to this version, until when (database
  -- clock), and a fencing counter bumped at every change of owner.
  lease_owner      text,
  lease_expires_at timestamptz,
  lease_fence      bigint NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  live_since       timestamptz,
  retired_at       timestamptz,
  -- Set once a retired version's rows have been deleted.
  cleaned_at       timestamptz,
  PRIMARY KEY (name, version)
);

CREATE UNIQUE INDEX projection_checkpoints_one_live ON projection_checkpoints (name) WHERE status = 'live';
CREATE UNIQUE INDEX projection_checkpoints_one_rebuild ON projection_checkpoints (name) WHERE status = 'rebuilding';

-- Events a projection could not apply after its retries: parked so the
-- projection goes on, kept with the error until replayed.
CREATE TABLE projection_dead_letters (
  projection      text NOT NULL,
  version         integer NOT NULL,
  global_position bigint NOT NULL,
  event_id        uuid NOT NULL,
  stream_id       text NOT NULL,
  event_type      text NOT NULL,
  error           text NOT NULL,
  attempts        integer NOT NULL,
  parked_at       timestamptz NOT NULL DEFAULT now(),
  last_attempt_at timestamptz NOT NULL DEFAULT now(),
  replayed_at     timestamptz,
  PRIMARY KEY (projection, version, global_position),
  FOREIGN KEY (projection, version) REFERENCES projection_checkpoints (name, version) ON DELETE CASCADE
);

CREATE INDEX projection_dead_letters_parked ON projection_dead_letters (projection, version) WHERE replayed_at IS NULL;

-- Read models. Each row keeps `state`, the folded domain state the next event
-- evolves from (the same deciders and saga fold the write side uses); the
-- other columns are derived from it for queries.

CREATE TABLE rm_order_summaries (
  version         integer NOT NULL,
  order_id        text NOT NULL,
  status          text NOT NULL,
  total           bigint NOT NULL,
  currency        text,
  customer_id     text,
  lines           jsonb NOT NULL,
  payment_status  text NOT NULL,
  shipment_status text NOT NULL,
  tracking_number text,
  saga_id         text,
  updated_at      timestamptz NOT NULL,
  state           jsonb NOT NULL,
  PRIMARY KEY (version, order_id)
);

CREATE INDEX rm_order_summaries_status ON rm_order_summaries (version, status, updated_at DESC);
CREATE INDEX rm_order_summaries_customer ON rm_order_summaries (version, customer_id, updated_at DESC);

CREATE TABLE rm_saga_overviews (
  version       integer NOT NULL,
  saga_id       text NOT NULL,
  saga_type     text NOT NULL,
  status        text NOT NULL,
  current_step  text,
  -- For an order-fulfillment saga, the order id.
  business_key  text NOT NULL,
  compensations jsonb NOT NULL,
  started_at    timestamptz NOT NULL,
  ended_at      timestamptz,
  updated_at    timestamptz NOT NULL,
  state         jsonb NOT NULL,
  PRIMARY KEY (version, saga_id)
);

CREATE INDEX rm_saga_overviews_started ON rm_saga_overviews (version, started_at DESC);
CREATE INDEX rm_saga_overviews_status ON rm_saga_overviews (version, status, started_at DESC);
CREATE INDEX rm_saga_overviews_business_key ON rm_saga_overviews (version, business_key);

CREATE TABLE rm_stock_levels (
  version    integer NOT NULL,
  sku        text NOT NULL,
  on_hand    bigint NOT NULL,
  reserved   bigint NOT NULL,
  available  bigint NOT NULL,
  updated_at timestamptz NOT NULL,
  state      jsonb NOT NULL,
  PRIMARY KEY (version, sku)
);
