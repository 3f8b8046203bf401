import { DomainError, type Decider } from '../../src/eventstore/decider';
import { spec } from '../support/decider-spec';

// The kit guards purity and JSON-plain state; these prove it would notice.
type E = { type: 'Hit'; data: { n: number } };
type C = { type: 'Hit'; n: number } | { type: 'Fail' };

const base: Decider<{ hits: number[] }, C, E> = {
  name: 'probe',
  version: 1,
  category: 'probe',
  initialState: () => ({ hits: [] }),
  evolve: (s, e) => ({ hits: [...s.hits, e.data.n] }),
  decide: (c) => {
    if (c.type === 'Fail') throw new DomainError('NOPE', 'no');
    return [{ type: 'Hit', data: { n: c.n } }];
  },
};
const hit = (n: number): E => ({ type: 'Hit', data: { n } });

describe('decider-spec', () => {
  it('passes a correct decider', () => {
    spec(base).given([hit(1)]).when({ type: 'Hit', n: 2 }).then([hit(2)]).andState((s) => expect(s.hits).toEqual([1, 2]));
    spec(base).when({ type: 'Fail' }).thenThrows('NOPE');
  });

  it('fails on the wrong events, the wrong code, or no error', () => {
    expect(() => spec(base).when({ type: 'Hit', n: 2 }).then([hit(3)])).toThrow();
    expect(() => spec(base).when({ type: 'Hit', n: 2 }).thenNothing()).toThrow();
    expect(() => spec(base).when({ type: 'Fail' }).thenThrows('OTHER')).toThrow();
    expect(() => spec(base).when({ type: 'Hit', n: 2 }).thenThrows('NOPE')).toThrow(/expected DomainError NOPE/);
  });

  it('fails when evolve mutates its state', () => {
    const mutating = { ...base, evolve: (s: { hits: number[] }, e: E) => (s.hits.push(e.data.n), s) };
    expect(() => spec(mutating).given([hit(1)])).toThrow();
  });

  it('fails when state is not plain JSON', () => {
    const dated = { ...base, evolve: () => ({ hits: [], at: new Date(0) }) };
    const undefinedField = { ...base, evolve: () => ({ hits: [], note: undefined }) };
    expect(() => spec(dated).given([hit(1)])).toThrow();
    expect(() => spec(undefinedField).given([hit(1)])).toThrow();
  });
});
