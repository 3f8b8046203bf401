-- Personal data (src/privacy/). Events are immutable, so a customer's personal
-- data is sealed (AES-256-GCM) with a data key of that customer's, kept here,
-- outside the event table. Forgetting the customer deletes the key: every
-- sealed value of theirs, in events, DBOS's tables and read models alike,
-- becomes unreadable while the events stay as they are (crypto-shredding).
--
-- A forgotten customer keeps its row, without a key: the tombstone refuses a
-- new key under the same id, so a start racing the erasure cannot bring the
-- customer's data back under a fresh key.
CREATE TABLE customer_keys (
  customer_id  text PRIMARY KEY,
  data_key     bytea CHECK (octet_length(data_key) = 32),
  created_at   timestamptz NOT NULL DEFAULT now(),
  forgotten_at timestamptz,
  CHECK ((data_key IS NULL) = (forgotten_at IS NOT NULL))
);

-- Card tokens, sealed with their customer's key. Saga inputs and events carry
-- only the reference; the payment step resolves it right before it calls the
-- gateway. Forgetting the customer deletes the rows as well.
CREATE TABLE card_vault (
  card_ref    text PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customer_keys,
  token       jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX card_vault_customer ON card_vault (customer_id);

-- The order summary shows the shipping address, sealed as the event holds it
-- (revealed at read time, so forgetting needs no rewrite of the read model).
ALTER TABLE rm_order_summaries ADD COLUMN shipping_address jsonb;
