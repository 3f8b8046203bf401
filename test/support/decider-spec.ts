import { isDomainError, type Decider, type DomainError, type DomainEvent } from '../../src/eventstore/decider';

/**
 * Given/when/then for deciders:
 *
 *   spec(decider).given([events]).when(command).then([events]).andView(view, {...})
 *   spec(decider).given([events]).when(command).thenThrows('CODE', details?)
 *   spec(decider).given([events]).when(command).thenNothing()
 *
 * Beyond the expectation itself, every step checks what snapshots and
 * replays rely on: decide and evolve never mutate their inputs (everything is
 * frozen), and state and events survive a JSON round trip unchanged.
 */

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Plain JSON: no Date, Map, Set, class instance or undefined field would survive JSONB. */
export function expectPlainJson(value: unknown, what: string): void {
  let copy: unknown;
  try {
    copy = JSON.parse(JSON.stringify(value));
  } catch (err) {
    throw new Error(`${what} is not JSON-serializable: ${String(err)}`);
  }
  expect({ [what]: copy }).toStrictEqual({ [what]: value });
}

function foldChecked<S, E extends DomainEvent>(decider: Decider<S, any, E>, from: S, events: E[]): S {
  let state = from;
  for (const event of events) {
    expectPlainJson(event, `event ${event.type}`);
    state = deepFreeze(decider.evolve(deepFreeze(state), deepFreeze(structuredClone(event))));
    expectPlainJson(state, `state after ${event.type}`);
  }
  return state;
}

export class Outcome<S, E extends DomainEvent> {
  constructor(
    readonly events: E[],
    readonly state: S,
  ) {}

  andState(check: (state: S) => void): this {
    check(this.state);
    return this;
  }

  andView<V>(view: (state: S) => V, expected: V): this {
    expect(view(this.state)).toEqual(expected);
    return this;
  }
}

export class When<S, C, E extends DomainEvent> {
  constructor(
    private readonly decider: Decider<S, C, E>,
    private readonly state: S,
    private readonly command: C,
  ) {}

  private decide(): E[] {
    return this.decider.decide(deepFreeze(structuredClone(this.command)), this.state);
  }

  then(expected: E[]): Outcome<S, E> {
    const events = this.decide();
    expect(events).toEqual(expected);
    return new Outcome(events, foldChecked(this.decider, this.state, events));
  }

  /** Idempotent no-op: the command is accepted and changes nothing. */
  thenNothing(): Outcome<S, E> {
    return this.then([]);
  }

  thenThrows(code: string, details?: Record<string, unknown>): DomainError {
    let events: E[];
    try {
      events = this.decide();
    } catch (err) {
      if (!isDomainError(err)) throw err;
      expect(err.code).toBe(code);
      if (details) expect(err.details).toMatchObject(details);
      return err;
    }
    throw new Error(`expected DomainError ${code}, but decide returned ${JSON.stringify(events)}`);
  }
}

export class Given<S, C, E extends DomainEvent> {
  readonly state: S;

  constructor(
    private readonly decider: Decider<S, C, E>,
    events: E[],
  ) {
    this.state = foldChecked(decider, deepFreeze(decider.initialState()), events);
  }

  when(command: C): When<S, C, E> {
    return new When(this.decider, this.state, command);
  }

  andView<V>(view: (state: S) => V, expected: V): this {
    expect(view(this.state)).toEqual(expected);
    return this;
  }
}

export function spec<S, C, E extends DomainEvent>(decider: Decider<S, C, E>) {
  return {
    given: (events: E[] = []) => new Given(decider, events),
    /** Shorthand for a command on an empty stream. */
    when: (command: C) => new Given(decider, []).when(command),
  };
}
