import type { CommandTarget, RecordedEvent } from '../eventstore';

/**
 * An event-driven flow: events in, reactions out. `react` is pure (no I/O), so
 * what it decides for an event is the same every time the event is read; the
 * mechanism performs the reactions under ids derived from the event id, which is
 * what makes reading an event twice harmless.
 */
export interface ProcessManager {
  /** Also the checkpoint's key and the prefix of every id it derives. */
  readonly name: string;
  /** Event types it reacts to; every other event only moves the checkpoint. */
  readonly eventTypes: readonly string[];
  react(event: RecordedEvent): Reaction[];
}

export type Reaction =
  /** Start a saga whose id is `reactionId(...)`: DBOS starts an id once. */
  | { kind: 'startSaga'; sagaType: string; input: unknown }
  /** Run commands under the command id `reactionId(...)`: the store records it once. */
  | { kind: 'send'; commands: CommandTarget[] };

/**
 * The id of the n-th reaction to an event. Deterministic: a replayed event
 * gets the same ids, so DBOS returns the existing saga and the event store the
 * recorded command result.
 */
export function reactionId(pm: Pick<ProcessManager, 'name'>, eventId: string, index = 0): string {
  return index === 0 ? `${pm.name}-${eventId}` : `${pm.name}-${eventId}-${index}`;
}
