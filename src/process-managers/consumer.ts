import type { Consumer } from '../consumers/consumer';
import { UndecodableEventError } from '../consumers/consumer';
import type { CommandHandler, RecordedEvent } from '../eventstore';
import type { Logger } from '../log';
import { reactionId, type ProcessManager, type Reaction } from './definition';

export interface ReactionDeps {
  handler: CommandHandler;
  /** Start a saga under this id; an id that exists starts nothing (SagaEngine.start). */
  startSaga: (sagaType: string, sagaId: string, input: unknown) => Promise<void>;
  log: Pick<Logger, 'info'>;
}

/**
 * Perform a process manager's reactions to one message (a feed event or an
 * inbound broker message) under ids derived from its id: performing them
 * again (a redelivery, a crash before the checkpoint) finds the saga or the
 * command result that already exists.
 */
export async function performReactions(
  pm: Pick<ProcessManager, 'name'>,
  message: { id: string; correlationId?: string },
  reactions: Reaction[],
  deps: ReactionDeps,
): Promise<void> {
  for (const [index, reaction] of reactions.entries()) {
    const id = reactionId(pm, message.id, index);
    if (reaction.kind === 'startSaga') {
      await deps.startSaga(reaction.sagaType, id, reaction.input);
    } else {
      await deps.handler.handle(reaction.commands, {
        commandId: id,
        metadata: { correlationId: message.correlationId ?? id, causationId: message.id },
      });
    }
    deps.log.info({ processManager: pm.name, messageId: message.id, reaction: reaction.kind, id }, 'process manager reacted');
  }
}

/** A process manager fed by our own feed: its reactions happen before its checkpoint commits (at least once). */
export function processManagerConsumer(pm: ProcessManager, deps: ReactionDeps): Consumer {
  const types = new Set(pm.eventTypes);
  return {
    name: pm.name,
    kind: 'process-manager',
    rulesVersion: 1,
    delivery: 'effect',
    wants: (event) => types.has(event.type),
    async handle(events: RecordedEvent[]) {
      for (const event of events) {
        // Skipping an event we cannot read would silently drop a reaction: fail, retry, park.
        if (event.decodeError) throw new UndecodableEventError(pm.name, event);
        await performReactions(pm, { id: event.eventId, correlationId: event.metadata.correlationId }, pm.react(event), deps);
      }
    },
  };
}
