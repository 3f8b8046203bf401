import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * A sealed value: personal data encrypted with its subject's data key
 * (AES-256-GCM, node:crypto). The envelope says what it is, so any reader
 * finds it in any JSON (an event, a saga's input, a read model's state) and
 * knows which key opens it. The subject is bound to the ciphertext as
 * authenticated data: an envelope moved to another subject does not open.
 *
 * No I/O here: the domain's schemas use `Sealed` without loading pg.
 */
export const SEALED_SCHEME = 'aes-256-gcm/v1';

export const Sealed = z
  .object({
    sealed: z.literal(SEALED_SCHEME),
    /** Whose key it is sealed with: a customer id. */
    subject: z.string().min(1).max(128),
    /** 12 random bytes, base64. */
    iv: z.string().regex(/^[A-Za-z0-9+/]{16}$/, '12 bytes, base64'),
    /** Ciphertext then the 16-byte tag, base64. */
    data: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64').max(100_000),
  })
  .strict();
export type Sealed = z.infer<typeof Sealed>;

/** What a reader sees where a forgotten subject's value was. */
export const FORGOTTEN = '[forgotten]';
/** What a reader sees where a value does not open with its subject's key (damaged, or not ours). */
export const UNREADABLE = '[unreadable]';

export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

const aad = (subject: string) => Buffer.from(`${SEALED_SCHEME}:${subject}`);

export function sealWith(key: Buffer, subject: string, value: unknown): Sealed {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad(subject));
  const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { sealed: SEALED_SCHEME, subject, iv: iv.toString('base64'), data: data.toString('base64') };
}

/** The value sealed in `sealed`; throws when the key or the envelope is not the one it was sealed with. */
export function openWith(key: Buffer, sealed: Sealed): unknown {
  const bytes = Buffer.from(sealed.data, 'base64');
  if (bytes.length < TAG_BYTES) throw new Error('sealed data is shorter than its tag');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64')).setAAD(aad(sealed.subject));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  const text = Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  return JSON.parse(text);
}

export const isSealed = (value: unknown): value is Sealed =>
  typeof value === 'object' && value !== null && (value as { sealed?: unknown }).sealed === SEALED_SCHEME && Sealed.safeParse(value).success;

/** Every subject whose sealed values appear anywhere in `value`. */
export function subjectsIn(value: unknown, found = new Set<string>()): Set<string> {
  if (isSealed(value)) found.add(value.subject);
  else if (Array.isArray(value)) for (const v of value) subjectsIn(v, found);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) subjectsIn(v, found);
  return found;
}

/**
 * A copy of `value` with each sealed value opened when its subject's key is
 * in `keys`, and FORGOTTEN where it is not. Other values are kept as they are.
 */
export function revealWith(value: unknown, keys: ReadonlyMap<string, Buffer>): unknown {
  if (isSealed(value)) {
    const key = keys.get(value.subject);
    if (!key) return FORGOTTEN;
    try {
      return openWith(key, value);
    } catch {
      return UNREADABLE;
    }
  }
  if (Array.isArray(value)) return value.map((v) => revealWith(v, keys));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealWith(v, keys)]));
  }
  return value;
}

/** A card in the vault (Privacy.vaultCard): what saga inputs and events carry instead of the token. */
export const CardRef = z.string().regex(/^card_[0-9a-f-]{36}$/, 'a card reference from the vault');
