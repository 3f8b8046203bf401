import { Router } from 'express';
import { z } from 'zod';
import { deciders, views, type DomainCategory } from '../../domain';
import { loadAggregate, type AnyDecider, type CommandHandler, type EventStore, type RecordedEvent } from '../../eventstore';
import { Sku } from '../../domain/shared';
import type { Access } from '../auth';
import { HttpProblem } from '../problem';
import { body, params, query } from '../validate';

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

  router.get('/streams/:streamId', deps.access.reader, async (req, res) => {
    const { streamId } = params(z.object({ streamId: z.string().min(1).max(200) }), req);
    const q = query(z.object({ fromVersion: z.coerce.number().int().min(1).default(1), limit: z.coerce.number().int().min(1).max(1000).default(1000) }), req);
    const version = await store.streamVersion(streamId);
    if (version === 0) throw new HttpProblem('not-found', `stream ${streamId} not found`);
    const events = await store.readStream(streamId, { fromVersion: q.fromVersion, limit: q.limit });
    res.json({ streamId, version, events: events.map(eventJson) });
  });

  router.get('/events', deps.access.reader, async (req, res) => {
    const q = query(z.object({ after: Checkpoint.default({ txid: '0', position: 0 }), limit: z.coerce.number().int().min(1).max(1000).default(100) }), req);
    const events = await store.readAll(q.after, q.limit);
    const last = events[events.length - 1];
    const next = last ? `${last.txid}:${last.globalPosition}` : `${q.after.txid}:${q.after.position}`;
    res.json({ events: events.map(eventJson), next });
  });

  const AggregateParams = z.object({ type: z.enum(Object.keys(deciders) as [DomainCategory, ...DomainCategory[]]), id: z.string().min(1).max(200) });
  const AsOf = z
    .object({ asOf: z.iso.datetime({ offset: true }).optional(), version: z.coerce.number().int().min(0).optional() })
    .refine((q) => !(q.asOf && q.version !== undefined), { message: 'give asOf or version, not both', path: ['asOf'] });

  router.get('/aggregates/:type/:id', deps.access.reader, async (req, res) => {
    const { type, id } = params(AggregateParams, req);
    const q = query(AsOf, req);
    const streamId = `${type}-${id}`;
    if ((await store.streamVersion(streamId)) === 0) throw new HttpProblem('not-found', `${type} ${id} not found`);
    const decider: AnyDecider = deciders[type];
    const loaded = await loadAggregate(store, handler.snapshots, decider, streamId, {
      asOf: q.asOf ? new Date(q.asOf) : undefined,
      version: q.version,
    });
    const view = (views[type] as (s: unknown) => unknown)(loaded.state);
    res.json({ type, id, streamId, version: loaded.version, ...(q.asOf ? { asOf: q.asOf } : {}), state: view });
  });

  router.post('/inventory/:sku/stock', deps.access.operator, async (req, res) => {
    const { sku } = params(z.object({ sku: Sku }), req);
    const { quantity } = body(z.object({ quantity: z.number().int().positive() }), req);
    const streamId = `inventory-${sku}`;
    const result = await handler.handle([{ decider: deciders.inventory, streamId, command: { type: 'AddStock', quantity } }]);
    const state = (views.inventory as (s: unknown) => unknown)(result.decisions[0].state);
    res.json({ sku, version: result.append.streams[0].version, position: result.append.lastPosition, state });
  });

  return router;
}
