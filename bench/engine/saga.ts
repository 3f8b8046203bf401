import { z } from 'zod';
import { DomainError, defineEvent, type CommandTarget, type Decider, type EventOf } from '../../src/eventstore';
import type { SagaDefinition, StepDefinition } from '../../src/saga/definition';

/**
 * The engine workload's saga: four steps, each commands-only (one command, one
 * event, on an aggregate of its own), each with a commands-only compensation.
 * No HTTP, no providers: what is measured is the engine on DBOS.
 */
export const STEP_COUNT = 4;

export const Counted = defineEvent('BenchCounted', z.object({ amount: z.number().int() }));
export const Uncounted = defineEvent('BenchUncounted', z.object({ amount: z.number().int(), reason: z.string() }));
export const benchEvents = [Counted, Uncounted];

type CounterEvent = EventOf<typeof Counted> | EventOf<typeof Uncounted>;
type CounterCommand = { type: 'Count'; amount: number } | { type: 'Uncount'; reason: string };
interface CounterState {
  total: number;
}

/** A tiny counter: counts positive amounts; an undo takes back what was counted (nothing, if nothing was). */
export const counterDecider: Decider<CounterState, CounterCommand, CounterEvent> = {
  name: 'bench-counter',
  version: 1,
  category: 'counter',
  initialState: () => ({ total: 0 }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'BenchCounted':
        return { total: state.total + event.data.amount };
      case 'BenchUncounted':
        return { total: state.total - event.data.amount };
    }
  },
  decide: (command, state) => {
    switch (command.type) {
      case 'Count':
        if (command.amount <= 0) throw new DomainError('NOT_POSITIVE', `cannot count ${command.amount}`);
        return [Counted({ amount: command.amount })];
      case 'Uncount':
        return state.total === 0 ? [] : [Uncounted({ amount: state.total, reason: command.reason })];
    }
  },
};

export const BenchSagaInput = z.object({
  /** 1-based step whose command breaks the rule (the saga then compensates); 0: none. */
  failAt: z.number().int().min(0).default(0),
});
export type BenchSagaInput = z.infer<typeof BenchSagaInput>;

const counter = (sagaId: string, step: number) => `counter-${sagaId}.${step}`;

function step(n: number, failAt: number): StepDefinition {
  const target = (sagaId: string, command: CounterCommand): CommandTarget[] => [
    { decider: counterDecider, streamId: counter(sagaId, n), command },
  ];
  return {
    commands: (ctx) => target(ctx.sagaId, { type: 'Count', amount: n === failAt ? -1 : n }),
    compensation: {
      name: `undo${n}`,
      commands: (ctx) => target(ctx.sagaId, { type: 'Uncount', reason: ctx.reason ?? 'compensated' }),
    },
  };
}

export const benchSaga: SagaDefinition<BenchSagaInput> = {
  type: 'bench-engine',
  input: BenchSagaInput,
  businessKey: () => 'bench',
  async run(saga, input) {
    for (let n = 1; n <= STEP_COUNT; n++) await saga.step(`step${n}`, step(n, input.failAt));
    return { steps: STEP_COUNT };
  },
};
