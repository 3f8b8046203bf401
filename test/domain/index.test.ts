import { EventRegistry } from '../../src/eventstore/registry';
import { deciders, domainEvents, views } from '../../src/domain';

describe('the domain module', () => {
  it('registers every event type once', () => {
    const registry = new EventRegistry(domainEvents);
    const types = domainEvents.map((d) => d.type);
    expect(new Set(types).size).toBe(types.length);
    for (const t of types) expect(registry.has(t)).toBe(true);
  });

  it('keys each decider by its stream category, which contains no "-"', () => {
    for (const [key, decider] of Object.entries(deciders)) {
      expect(decider.category).toBe(key);
      expect(decider.category).not.toContain('-');
      expect(decider.version).toBe(1);
    }
    expect(Object.keys(views).sort()).toEqual(Object.keys(deciders).sort());
  });

  it('gives every initial state a view', () => {
    for (const key of Object.keys(deciders) as (keyof typeof deciders)[]) {
      const view = views[key] as (s: unknown) => unknown;
      expect(view(deciders[key].initialState())).toEqual(expect.any(Object));
    }
  });
});
