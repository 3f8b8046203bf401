import type { EventDefinition } from '../eventstore/registry';
import { inventoryDecider, inventoryEvents, inventoryView } from './inventory';
import { orderDecider, orderEvents, orderView } from './order';
import { paymentDecider, paymentEvents, paymentView } from './payment';
import { shipmentDecider, shipmentEvents, shipmentView } from './shipment';

export * from './inventory';
export * from './order';
export * from './payment';
export * from './shipment';
export { parseCommand } from './shared';

/** Every domain event type, to register in an EventRegistry. */
export const domainEvents: EventDefinition[] = [...orderEvents, ...inventoryEvents, ...paymentEvents, ...shipmentEvents];

/** Keyed by stream category, so a stream id's prefix finds its decider. */
export const deciders = {
  order: orderDecider,
  inventory: inventoryDecider,
  payment: paymentDecider,
  shipment: shipmentDecider,
} as const;

export type DomainCategory = keyof typeof deciders;

export const views = {
  order: orderView,
  inventory: inventoryView,
  payment: paymentView,
  shipment: shipmentView,
} as const;
