import { z } from 'zod';
import { defineEvent, EventRegistry, type Decider, type EventOf, DomainError } from '../../src/eventstore';

/** A tiny counter aggregate used by the event store tests. */
export const Added = defineEvent('Added', z.object({ amount: z.number().int() }));
export const Reset = defineEvent('Reset', z.object({}));
export type CounterEvent = EventOf<typeof Added> | EventOf<typeof Reset>;
export type CounterCommand = { type: 'Add'; amount: number } | { type: 'Reset' };
export interface CounterState {
  total: number;
  adds: number;
}

export const counter: Decider<CounterState, CounterCommand, CounterEvent> = {
  name: 'counter',
  version: 1,
  category: 'counter',
  initialState: () => ({ total: 0, adds: 0 }),
  evolve: (s, e) => (e.type === 'Added' ? { total: s.total + e.data.amount, adds: s.adds + 1 } : { ...s, total: 0 }),
  decide: (c, s) => {
    if (c.type === 'Reset') return [Reset({})];
    // A rule that depends on state: used to prove re-runs do not decide again.
    if (s.total + c.amount > 100) throw new DomainError('LIMIT_EXCEEDED', `total would exceed 100`);
    return [Added({ amount: c.amount })];
  },
};

export const testRegistry = () => new EventRegistry([Added, Reset]);
