import { isDomainError } from '../../src/eventstore/decider';
import {
  available,
  inventoryDecider,
  type InventoryCommand,
  type InventoryState,
} from '../../src/domain/inventory';

/** mulberry32: a tiny seeded PRNG, so a failing run can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ORDERS = 12;
const STEPS = 1000;

function randomCommand(random: () => number): InventoryCommand {
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const orderId = `o${int(1, ORDERS)}`;
  // Reservations outnumber additions so stock often runs short and rejections happen.
  const roll = random();
  if (roll < 0.15) return { type: 'AddStock', quantity: int(1, 8) };
  if (roll < 0.6) return { type: 'ReserveStock', orderId, quantity: int(1, 10) };
  if (roll < 0.8) return { type: 'ReleaseReservation', orderId };
  return { type: 'CommitReservation', orderId };
}

function checkInvariants(s: InventoryState, ledger: { added: number; committed: number }, step: string): void {
  const sum = Object.values(s.reservations).reduce((a, b) => a + b, 0);
  const broken = [
    s.onHand < 0 && 'onHand < 0',
    s.reserved < 0 && 'reserved < 0',
    s.reserved > s.onHand && 'reserved > onHand',
    s.reserved !== sum && 'reserved != sum of reservations',
    Object.values(s.reservations).some((q) => !(q > 0)) && 'a reservation is not positive',
    // Conservation: stock is neither created nor lost.
    s.onHand !== ledger.added - ledger.committed && 'onHand != added - committed',
  ].filter(Boolean);
  if (broken.length) throw new Error(`${step}: ${broken.join(', ')} in ${JSON.stringify(s)}`);
}

describe('inventory under a random command sequence', () => {
  it.each([1, 42, 20240611])('keeps its invariants after every step (seed %i)', (seed) => {
    const random = prng(seed);
    let state = inventoryDecider.initialState();
    const ledger = { added: 0, committed: 0 };
    const outcomes = { accepted: 0, noop: 0, rejected: 0 };

    for (let i = 0; i < STEPS; i++) {
      const command = randomCommand(random);
      const step = `seed ${seed}, step ${i}, ${JSON.stringify(command)}`;
      let events;
      try {
        events = inventoryDecider.decide(command, state);
      } catch (err) {
        if (!isDomainError(err) || err.code !== 'INSUFFICIENT_STOCK' || command.type !== 'ReserveStock') throw err;
        // Rejected only when it really did not fit.
        expect(command.quantity).toBeGreaterThan(available(state));
        outcomes.rejected++;
        continue;
      }
      outcomes[events.length ? 'accepted' : 'noop']++;
      for (const e of events) {
        if (e.type === 'StockAdded') ledger.added += e.data.quantity;
        if (e.type === 'ReservationCommitted') ledger.committed += e.data.quantity;
        state = inventoryDecider.evolve(state, e);
      }
      checkInvariants(state, ledger, step);
    }

    // The run is only meaningful if every path was exercised.
    expect(outcomes.accepted).toBeGreaterThan(100);
    expect(outcomes.noop).toBeGreaterThan(10);
    expect(outcomes.rejected).toBeGreaterThan(10);
  });
});
