import { Router } from 'express';
import { z } from 'zod';
import { deciders, views, type DomainCategory } from '../../domain';
import { loadAggregate, type AnyDecider, type CommandHandler, type EventStore, type RecordedEvent } from '../../eventstore';
import { Sku } from '../../domain/shared';
import { HttpProblem } from '../problem';
import { StoredEvent } from '../responses';
import { route } from '../route';
import type { Access } from '../auth';

/** A feed checkpoint in a URL: "<txid>:<position>". */
const Checkpoint = z
  .string()
  .regex(/^\d+:\d+$/, 'a checkpoint "<txid>:<position>" as returned in "next"')
  .transform((s) => {
    const [txid, position] = s.split(':');
    return { txid, position: Number(position) };
  });

const eventJson = (e: RecordedEvent) => ({
  globalPosition: e.globalPosition,
  streamId: e.streamId,
  streamPosition: e.streamPosition,
  eventId: e.eventId,
  type: e.type,
  schemaVersion: e.schemaVersion,
  data: e.data,
  metadata: e.metadata,
  recordedAt: e.recordedAt,
  ...(e.decodeError ? { decodeError: e.decodeError } : {}),
});

export function storeRoutes(deps: { store: EventStore; handler: CommandHandler; access: Access }): Router {
  const router = Router();
  const { store, handler } = deps;

  route(
    router,
    {
      method: 'get',
      path: '/streams/:streamId',
      auth: deps.access.reader,
      tag: 'events',
      summary: "A stream's events, from a version on",
      params: z.object({ streamId: z.string().min(1).max(200) }),
      query: z.object({ fromVersion: z.coerce.number().int().min(1).default(1), limit: z.coerce.number().int().min(1).max(1000).default(1000) }),
      responses: { 200: { description: 'The events', body: z.object({ streamId: z.string(), version: z.number().int(), events: z.array(StoredEvent) }) } },
      problems: ['not-found'],
    },
    async ({ params: { streamId }, query: q }, _req, res) => {
      const version = await store.streamVersion(streamId);
      if (version === 0) throw new HttpProblem('not-found', `stream ${streamId} not found`);
      const events = await store.readStream(streamId, { fromVersion: q.fromVersion, limit: q.limit });
      res.json({ streamId, version, events: events.map(eventJson) });
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/events',
      auth: deps.access.reader,
      tag: 'events',
      summary: 'The gap-safe global feed, after a checkpoint',
      query: z.object({ after: Checkpoint.optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
      responses: { 200: { description: 'Committed events in feed order; `next` is the checkpoint to read on from', body: z.object({ events: z.array(StoredEvent), next: z.string() }) } },
    },
    async ({ query: { after = { txid: '0', position: 0 }, limit } }, _req, res) => {
      const q = { after, limit };
      const events = await store.readAll(q.after, q.limit);
      const last = events[events.length - 1];
      const next = last ? `${last.txid}:${last.globalPosition}` : `${q.after.txid}:${q.after.position}`;
      res.json({ events: events.map(eventJson), next });
    },
  );

  const AggregateParams = z.object({ type: z.enum(Object.keys(deciders) as [DomainCategory, ...DomainCategory[]]), id: z.string().min(1).max(200) });
  const AsOf = z
    .object({ asOf: z.iso.datetime({ offset: true }).optional(), version: z.coerce.number().int().min(0).optional() })
    .refine((q) => !(q.asOf && q.version !== undefined), { message: 'give asOf or version, not both', path: ['asOf'] });

  route(
    router,
    {
      method: 'get',
      path: '/aggregates/:type/:id',
      auth: deps.access.reader,
      tag: 'events',
      summary: "An aggregate's state, now, as of a time or as of a version",
      params: AggregateParams,
      query: AsOf,
      responses: {
        200: {
          description: "The state, folded by the aggregate's decider",
          body: z.object({ type: z.string(), id: z.string(), streamId: z.string(), version: z.number().int(), asOf: z.string().optional(), state: z.unknown() }),
        },
      },
      problems: ['not-found'],
    },
    async ({ params: { type, id }, query: q }, _req, res) => {
      const streamId = `${type}-${id}`;
      if ((await store.streamVersion(streamId)) === 0) throw new HttpProblem('not-found', `${type} ${id} not found`);
      const decider: AnyDecider = deciders[type];
      const loaded = await loadAggregate(store, handler.snapshots, decider, streamId, {
        asOf: q.asOf ? new Date(q.asOf) : undefined,
        version: q.version,
      });
      const view = (views[type] as (s: unknown) => unknown)(loaded.state);
      res.json({ type, id, streamId, version: loaded.version, ...(q.asOf ? { asOf: q.asOf } : {}), state: view });
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/inventory/:sku/stock',
      tag: 'operator',
      summary: 'Add stock to a SKU',
      auth: deps.access.operator,
      params: z.object({ sku: Sku }),
      body: z.object({ quantity: z.number().int().positive() }),
      responses: {
        200: {
          description: 'The stock after the addition, and the position written (for `?after=`)',
          body: z.object({ sku: z.string(), version: z.number().int(), position: z.number().int(), state: z.object({ onHand: z.number().int(), reserved: z.number().int(), available: z.number().int() }) }),
        },
      },
    },
    async ({ params: { sku }, body: { quantity } }, _req, res) => {
      const streamId = `inventory-${sku}`;
      const result = await handler.handle([{ decider: deciders.inventory, streamId, command: { type: 'AddStock', quantity } }]);
      const state = (views.inventory as (s: unknown) => unknown)(result.decisions[0].state);
      res.json({ sku, version: result.append.streams[0].version, position: result.append.lastPosition, state });
    },
  );

  return router;
}
