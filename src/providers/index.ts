/**
 * Outside systems: the payment gateway, the carrier and the travel supplier,
 * each an interface the sagas depend on plus a Postgres-backed simulator (see
 * the comment block at the top of each *-simulator.ts for its rules).
 */
import type { Pool } from '../db/pool';
import type { Carrier } from './carrier';
import { CarrierSimulator } from './carrier-simulator';
import type { PaymentGateway } from './payment-gateway';
import { PaymentSimulator } from './payment-simulator';
import type { TravelSupplier } from './travel';
import { TravelSimulator } from './travel-simulator';

export * from './carrier';
export { CarrierSimulator, SIMULATED_CARRIER_NAME } from './carrier-simulator';
export * from './errors';
export * from './ledgers';
export * from './payment-gateway';
export { FLAKY_FAILURES_BEFORE_SUCCESS, PaymentSimulator } from './payment-simulator';
export * from './travel';
export { FLAKY_TRAVEL_FAILURES, TravelSimulator } from './travel-simulator';
export { getSwitches, isSwitchOn, setSwitch, SWITCH_NAMES, SwitchName, type Switches } from './switches';

export interface Providers {
  payments: PaymentGateway;
  carrier: Carrier;
  travel: TravelSupplier;
}

/** The simulators on one database; any number of instances share the same books. */
export function createSimulators(pool: Pool): Providers {
  return { payments: new PaymentSimulator(pool), carrier: new CarrierSimulator(pool), travel: new TravelSimulator(pool) };
}
