import { headers } from '@nats-io/transport-node';
import type { Consumer } from '../consumers/consumer';
import type { RecordedEvent } from '../eventstore';
import type { Broker } from './broker';

export interface OutboxOptions {
  /** Subjects are `<prefix>.<category>.<type>`. */
  prefix: string;
  /** The JetStream stream capturing `<prefix>.>` (created if missing). */
  stream: string;
  /** Stream categories published; the others only move the checkpoint. */
  categories: readonly string[];
  /** Told of each broker ack: the event's age then (commit → ack), for metrics. */
  onAcked?: (event: RecordedEvent, lagMs: number) => void;
}

export const OUTBOX = 'outbox';
export const subjectOf = (prefix: string, event: Pick<RecordedEvent, 'streamType' | 'type'>) => `${prefix}.${event.streamType}.${event.type}`;

/**
 * Publishes chosen categories to NATS JetStream. At least once, in feed order:
 * each event waits for the broker's ack before the next one is sent, and the
 * checkpoint moves after the last ack. The event id is the message id, so the
 * stream's duplicate window drops what a crash between ack and checkpoint
 * makes us publish again. A broker that is down fails the batch, which is
 * retried with backoff for as long as it takes (never parked: nothing is
 * skipped), in a lane of its own so the read models never wait for it.
 */
export function outboxConsumer(broker: Broker, options: OutboxOptions): Consumer {
  const categories = new Set(options.categories);
  return {
    name: OUTBOX,
    kind: 'outbox',
    rulesVersion: 1,
    delivery: 'effect',
    neverPark: true,
    lane: OUTBOX,
    wants: (event) => categories.has(event.streamType),
    async handle(events) {
      await broker.ensureStream(options.stream, [`${options.prefix}.>`]);
      const { js } = await broker.jetstream();
      for (const event of events) {
        const h = headers();
        if (event.metadata.correlationId) h.set('Correlation-Id', event.metadata.correlationId);
        if (event.metadata.causationId) h.set('Causation-Id', event.metadata.causationId);
        h.set('Event-Type', event.type);
        h.set('Stream-Id', event.streamId);
        h.set('Stream-Position', String(event.streamPosition));
        const payload = {
          eventId: event.eventId,
          type: event.type,
          schemaVersion: event.schemaVersion,
          streamId: event.streamId,
          streamPosition: event.streamPosition,
          globalPosition: event.globalPosition,
          recordedAt: event.recordedAt.toISOString(),
          data: event.data,
          metadata: event.metadata,
        };
        await js.publish(subjectOf(options.prefix, event), JSON.stringify(payload), { msgID: event.eventId, headers: h, timeout: 5_000 });
        options.onAcked?.(event, Date.now() - event.recordedAt.getTime());
      }
    },
  };
}
