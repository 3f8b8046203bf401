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
 * a batch's messages go out in order on one connection, each expecting its
 * predecessor to be the stream's last, and the checkpoint moves after the
 * last ack. The event id is the message id, so the
 * stream's duplicate window drops what a crash between ack and checkpoint
 * makes us publish again. A broker that is down fails the batch, which is
 * retried with backoff for as long as it takes (never parked: nothing is
 * skipped), in a lane of its own so the read models never wait for it.
 */
function headersOf(event: RecordedEvent) {
  const h = headers();
  if (event.metadata.correlationId) h.set('Correlation-Id', event.metadata.correlationId);
  if (event.metadata.causationId) h.set('Causation-Id', event.metadata.causationId);
  h.set('Event-Type', event.type);
  h.set('Stream-Id', event.streamId);
  h.set('Stream-Position', String(event.streamPosition));
  return h;
}

const payloadOf = (event: RecordedEvent) => ({
  eventId: event.eventId,
  type: event.type,
  schemaVersion: event.schemaVersion,
  streamId: event.streamId,
  streamPosition: event.streamPosition,
  globalPosition: event.globalPosition,
  recordedAt: event.recordedAt.toISOString(),
  data: event.data,
  metadata: event.metadata,
});

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
      // Pipelined: every message of the batch is sent before the first ack comes back. Each one
      // expects the previous one to be the stream's last, so if a message is lost (a connection
      // that dies mid-batch) the ones after it are refused rather than stored out of order; the
      // batch then fails, and its retry finds what was stored as duplicates.
      const acks = events.map((event, i) =>
        js.publish(subjectOf(options.prefix, event), JSON.stringify(payloadOf(event)), {
          msgID: event.eventId,
          headers: headersOf(event),
          timeout: 5_000,
          ...(i > 0 ? { expect: { lastMsgID: events[i - 1].eventId } } : {}),
        }),
      );
      const results = await Promise.allSettled(acks);
      for (const [i, result] of results.entries()) {
        if (result.status === 'rejected') throw result.reason;
        options.onAcked?.(events[i], Date.now() - events[i].recordedAt.getTime());
      }
    },
  };
}
