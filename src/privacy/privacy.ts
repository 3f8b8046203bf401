import { createHmac, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { Pool } from '../db/pool';
import { CardRef, KEY_BYTES, openWith, revealWith, sealWith, subjectsIn, type Sealed } from './sealed';

export const CUSTOMER_FORGOTTEN = 'CUSTOMER_FORGOTTEN';

/**
 * The customer was forgotten: their data key is gone, so their personal data
 * cannot be read or written any more. A business failure (`transient: false`,
 * read by the saga's failure classification): no retry brings a key back.
 */
export class CustomerForgottenError extends Error {
  readonly code = CUSTOMER_FORGOTTEN;
  readonly transient = false;
  constructor(readonly customerId: string) {
    super(`customer ${customerId} was forgotten: their personal data can no longer be read`);
    this.name = 'CustomerForgottenError';
  }
}

/**
 * Personal data at rest: per-customer data keys (table customer_keys) and
 * the card vault (card_vault), see migrations/009_customer_keys.sql.
 *
 * Keys are read from the database at each use, never cached: a key deleted
 * by one process is gone for every process at once.
 */
export class Privacy {
  constructor(readonly pool: Pool) {}

  /** `value` sealed with the customer's key, which is made at first use. */
  async seal(customerId: string, value: unknown): Promise<Sealed> {
    return sealWith(await this.keyOf(customerId, { create: true }), customerId, value);
  }

  /** A sealed value opened and checked against `schema`; CustomerForgottenError once its customer is forgotten. */
  async open<T>(sealed: Sealed, schema: z.ZodType<T>): Promise<T> {
    return schema.parse(openWith(await this.keyOf(sealed.subject, { create: false }), sealed));
  }

  /** Keeps a card token in the vault, sealed; returns the reference that stands for it everywhere else. */
  async vaultCard(customerId: string, token: string): Promise<string> {
    const ref = CardRef.parse(`card_${randomUUID()}`);
    const sealed = await this.seal(customerId, token);
    await this.pool.query('INSERT INTO card_vault (card_ref, customer_id, token) VALUES ($1, $2, $3)', [ref, customerId, JSON.stringify(sealed)]);
    return ref;
  }

  /** The token a reference stands for, or CustomerForgottenError (forgetting deletes the vault's rows). */
  async cardToken(customerId: string, ref: string): Promise<string> {
    const { rows } = await this.pool.query<{ token: Sealed; data_key: Buffer | null }>(
      'SELECT v.token, k.data_key FROM card_vault v JOIN customer_keys k USING (customer_id) WHERE v.card_ref = $1 AND v.customer_id = $2',
      [ref, customerId],
    );
    if (!rows[0]?.data_key) throw new CustomerForgottenError(customerId);
    const token = openWith(rows[0].data_key, rows[0].token);
    if (typeof token !== 'string') throw new Error(`card ${ref} does not hold a token`);
    return token;
  }

  /**
   * A copy of `value` (any JSON) with every sealed value in it opened, or
   * FORGOTTEN where its customer's key is gone: the one step every read
   * that shows personal data goes through. One query for all the subjects.
   */
  async reveal<T>(value: T): Promise<T | unknown> {
    const subjects = subjectsIn(value);
    if (subjects.size === 0) return value;
    const { rows } = await this.pool.query<{ customer_id: string; data_key: Buffer }>(
      'SELECT customer_id, data_key FROM customer_keys WHERE customer_id = ANY($1::text[]) AND data_key IS NOT NULL',
      [[...subjects]],
    );
    return revealWith(value, new Map(rows.map((r) => [r.customer_id, r.data_key])));
  }

  /**
   * A keyed hash of `text` (HMAC-SHA256, with a key derived from the
   * customer's data key): tells a retried request from another one without
   * keeping a hash anyone could test guesses against once the key is gone.
   * Undefined for a customer without a key.
   */
  async fingerprint(customerId: string, text: string): Promise<string | undefined> {
    const key = await this.keyRow(customerId);
    if (key === undefined) return undefined;
    if (key === null) throw new CustomerForgottenError(customerId);
    const macKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'request-fingerprint', 32));
    return createHmac('sha256', macKey).update(text).digest('hex');
  }

  /** The customer's key; CustomerForgottenError once forgotten (or never known: nothing of theirs can be opened). */
  private async keyOf(customerId: string, { create }: { create: boolean }): Promise<Buffer> {
    if (create) {
      // A forgotten customer's row stays (without a key), so no new key is made under their id.
      await this.pool.query('INSERT INTO customer_keys (customer_id, data_key) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
        customerId,
        randomBytes(KEY_BYTES),
      ]);
    }
    const key = await this.keyRow(customerId);
    if (!key) throw new CustomerForgottenError(customerId);
    return key;
  }

  /** The key; null when the customer was forgotten; undefined when there never was one. */
  private async keyRow(customerId: string): Promise<Buffer | null | undefined> {
    const { rows } = await this.pool.query<{ data_key: Buffer | null }>('SELECT data_key FROM customer_keys WHERE customer_id = $1', [customerId]);
    return rows[0]?.data_key;
  }
}
