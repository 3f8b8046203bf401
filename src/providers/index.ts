/**
 * Outside systems: the payment gateway and the carrier, each an interface the
 * saga depends on plus a Postgres-backed simulator (see the comment blocks at
 * the top of payment-simulator.ts and carrier-simulator.ts for its rules).
 */
import type { Pool } from '../db/pool';
import type { Carrier } from './carrier';
import { CarrierSimulator } from './carrier-simulator';
import type { PaymentGateway } from './payment-gateway';
import { PaymentSimulator } from './payment-simulator';

export * from './carrier';
export { CarrierSimulator, SIMULATED_CARRIER_NAME } from './carrier-simulator';
export * from './errors';
export * from './ledgers';
export * from './payment-gateway';
export { FLAKY_FAILURES_BEFORE_SUCCESS, PaymentSimulator } from './payment-simulator';
export { getSwitches, isSwitchOn, setSwitch, SWITCH_NAMES, SwitchName, type Switches } from './switches';

export interface Providers {
  payments: PaymentGateway;
  carrier: Carrier;
}

/** The simulators on one database; any number of instances share the same books. */
export function createSimulators(pool: Pool): Providers {
  return { payments: new PaymentSimulator(pool), carrier: new CarrierSimulator(pool) };
}
