import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { defineEvent, EventRegistry, EventStore } from '../../src/eventstore';
import { createTestDatabase, feedCaughtUp, type TestDatabase } from '../support/db';
import { Added, testRegistry } from '../support/events';

/**
 * CustomerRenamed went through three schema versions:
 * v1 { name }  →  v2 { firstName, lastName }  →  v3 adds { source }.
 */
const CustomerRenamed = defineEvent(
  'CustomerRenamed',
  z.object({ firstName: z.string(), lastName: z.string(), source: z.enum(['user', 'import']) }),
  {
    version: 3,
    upcasters: {
      1: (v1: { name: string }) => {
        const [firstName, ...rest] = v1.name.split(' ');
        return { firstName, lastName: rest.join(' ') };
      },
      2: (v2: { firstName: string; lastName: string }) => ({ ...v2, source: 'user' }),
    },
  },
);

let db: TestDatabase;
let store: EventStore;

beforeAll(async () => {
  db = await createTestDatabase('schema');
  store = new EventStore(db.pool, testRegistry().register(CustomerRenamed));
});
afterAll(() => db.drop());

describe('immutability', () => {
  beforeAll(() => store.append('immutable-1', [Added({ amount: 1 })]));

  test.each([
    ['UPDATE', "UPDATE events SET data = '{\"amount\": 2}' WHERE stream_id = 'immutable-1'"],
    ['DELETE', "DELETE FROM events WHERE stream_id = 'immutable-1'"],
    ['TRUNCATE', 'TRUNCATE events'],
  ])('%s on events is rejected with a clear error', async (op, sql) => {
    await expect(db.pool.query(sql)).rejects.toMatchObject({
      code: 'ES403',
      message: `events are immutable: ${op} on table events is not allowed`,
    });
    const [e] = await store.readStream('immutable-1');
    expect(e.data).toEqual({ amount: 1 });
  });
});

describe('upcasting', () => {
  test('stored v1 and v2 fixtures are read as the current version', async () => {
    const fixtures = JSON.parse(
      readFileSync(path.join(__dirname, '../fixtures/customer-renamed.versions.json'), 'utf8'),
    ) as { type: string; schemaVersion: number; data: unknown }[];
    // Old versions can only have been written by old code: insert them as it did.
    for (const [i, f] of fixtures.entries()) {
      await db.pool.query(
        `INSERT INTO events (stream_id, stream_type, stream_position, event_id, type, schema_version, data, recorded_at)
         VALUES ('customer-1', 'customer', $1, gen_random_uuid(), $2, $3, $4, now())`,
        [i + 1, f.type, f.schemaVersion, JSON.stringify(f.data)],
      );
    }
    const events = await store.readStream('customer-1');
    expect(events.map((e) => e.data)).toEqual([
      { firstName: 'Ada', lastName: 'Lovelace', source: 'user' },
      { firstName: 'Grace', lastName: 'Hopper', source: 'user' },
      { firstName: 'Alan', lastName: 'Turing', source: 'import' },
    ]);
    // The rows themselves are untouched: upcasting happens on read only.
    const { rows } = await db.pool.query("SELECT data FROM events WHERE stream_id = 'customer-1' ORDER BY stream_position");
    expect(rows[0].data).toEqual({ name: 'Ada Lovelace' });
  });

  test('new events are written with the current schema version', async () => {
    await store.append('customer-2', [CustomerRenamed({ firstName: 'A', lastName: 'B', source: 'user' })]);
    const [e] = await store.readStream('customer-2');
    expect(e.schemaVersion).toBe(3);
  });

  test('a definition with a missing upcaster is refused up front', () => {
    expect(() => defineEvent('Broken', z.object({}), { version: 2 })).toThrow('needs an upcaster from v1');
  });
});

describe('unregistered types and invalid data', () => {
  test('writing an unregistered type fails and writes nothing', async () => {
    await expect(store.append('counter-x', [{ type: 'Nope', data: {} }])).rejects.toMatchObject({
      code: 'UNREGISTERED_EVENT_TYPE',
      message: 'event type "Nope" is not registered',
    });
    expect(await store.streamVersion('counter-x')).toBe(0);
  });

  test('invalid data fails naming the field, and writes nothing', async () => {
    await expect(
      store.appendMany([
        { streamId: 'counter-y', events: [Added({ amount: 1 })] },
        { streamId: 'counter-z', events: [{ type: 'Added', data: { amount: 'lots' } }] },
      ]),
    ).rejects.toMatchObject({ code: 'INVALID_EVENT_DATA', issues: [expect.objectContaining({ path: 'amount' })] });
    expect(await store.streamVersion('counter-y')).toBe(0);
  });

  test('an unknown type on read is reported, not dropped', async () => {
    await db.pool.query(
      `INSERT INTO events (stream_id, stream_type, stream_position, event_id, type, schema_version, data, recorded_at)
       VALUES ('legacy-1', 'legacy', 1, gen_random_uuid(), 'RetiredEvent', 1, '{}', now())`,
    );
    // Folding a stream with it fails loudly ...
    await expect(store.readStream('legacy-1')).rejects.toMatchObject({ code: 'UNREGISTERED_EVENT_TYPE' });
    // ... and the feed hands it over, marked, for the subscriber to park.
    await feedCaughtUp(db.pool);
    const feed = await store.readCategory('legacy', { txid: '0', position: 0 });
    expect(feed).toHaveLength(1);
    expect(feed[0].decodeError).toContain('RetiredEvent');
  });

  test('a registry refuses the same type twice', () => {
    const other = defineEvent('Added', z.object({}));
    expect(() => new EventRegistry([Added, other])).toThrow('registered twice');
  });
});
