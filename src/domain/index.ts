import type { EventDefinition } from '../eventstore/registry';
import { inventoryDecider, inventoryEvents, inventoryView } from './inventory';
import { orderDecider, orderEvents, orderView } from './order';
import { paymentDecider, paymentEvents, paymentView } from './payment';
import { shipmentDecider, shipmentEvents, shipmentView } from './shipment';
import { tripDecider, tripEvents, tripView } from './trip';

export * from './inventory';
export * from './order';
export * from './payment';
export * from './shipment';
export * from './trip';
export { parseCommand } from './shared';

/** Every domain event type, to register in an EventRegistry. */
export const domainEvents: EventDefinition[] = [...orderEvents, ...inventoryEvents, ...paymentEvents, ...shipmentEvents, ...tripEvents];

/** Keyed by stream category, so a stream id's prefix finds its decider. */
export const deciders = {
  order: orderDecider,
  inventory: inventoryDecider,
  payment: paymentDecider,
  shipment: shipmentDecider,
  trip: tripDecider,
} as const;

export type DomainCategory = keyof typeof deciders;

export const views = {
  order: orderView,
  inventory: inventoryView,
  payment: paymentView,
  shipment: shipmentView,
  trip: tripView,
} as const;
