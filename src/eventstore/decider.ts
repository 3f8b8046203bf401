/**
 * An aggregate as a decider (Emmett's shape): pure functions, no I/O.
 *
 * - `decide(command, state)` returns the events a command produces, or throws
 *   a DomainError when the command breaks a rule.
 * - `evolve(state, event)` folds one event into the state.
 *
 * `name` and `version` key snapshots: bump `version` whenever `evolve` or the
 * state's shape changes, and old snapshots are ignored.
 */
export interface DomainEvent {
  type: string;
  data: unknown;
}

export interface Decider<State, Command, Event extends DomainEvent> {
  name: string;
  version: number;
  /** Stream category: streams of this aggregate are `<category>-<id>`. */
  category: string;
  initialState: () => State;
  evolve: (state: State, event: Event) => State;
  decide: (command: Command, state: State) => Event[];
}

export type AnyDecider = Decider<any, any, any>;

/** One aggregate instance: its decider and its stream. */
export interface AggregateRef<S = any> {
  decider: Decider<S, any, any>;
  streamId: string;
}
export type StateOf<D> = D extends Decider<infer S, any, any> ? S : never;
export type CommandOf<D> = D extends Decider<any, infer C, any> ? C : never;
export type EventOfDecider<D> = D extends Decider<any, any, infer E> ? E : never;

/**
 * A broken business rule. `code` is stable and machine-readable: it survives
 * DBOS's error replay (which drops the class) and reaches HTTP clients.
 */
export class DomainError extends Error {
  override name = 'DomainError';
  readonly domainError = true;
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const isDomainError = (err: unknown): err is DomainError =>
  typeof err === 'object' && err !== null && (err as { domainError?: unknown }).domainError === true;

export function fold<S, E extends DomainEvent>(decider: Decider<S, any, E>, events: E[], from?: S): S {
  return events.reduce(decider.evolve, from ?? decider.initialState());
}
