import {
  orderDecider,
  orderView,
  paymentDecider,
  paymentView,
  shipmentDecider,
  shipmentView,
  type OrderEvent,
  type OrderItem,
  type OrderState,
  type OrderStatus,
  type PaymentEvent,
  type PaymentState,
  type PaymentStatus,
  type ShipmentEvent,
  type ShipmentState,
  type ShipmentStatus,
} from '../../domain';
import type { Queryable, RecordedEvent } from '../../eventstore';
import { documentProjection, liveVersionOf } from '../projection';

export const ORDER_SUMMARY = 'order-summary';

/** Statuses an order can be listed by (every OrderStatus but "none"). */
export const ORDER_STATUSES = ['placed', 'confirmed', 'rejected', 'cancelled', 'return_requested', 'returned'] as const satisfies readonly OrderStatus[];

/** The three aggregates an order's summary is made of, all keyed by the order id. */
export interface OrderSummaryState {
  order: OrderState;
  payment: PaymentState;
  shipment: ShipmentState;
  updatedAt: string;
}

export interface OrderSummary {
  orderId: string;
  status: OrderStatus;
  total: number;
  currency: string | null;
  customerId: string | null;
  /** Sealed as the event holds it; readers reveal it (the API shows it opened, or "[forgotten]"). */
  shippingAddress: unknown;
  lines: OrderItem[];
  paymentStatus: PaymentStatus;
  shipmentStatus: ShipmentStatus;
  trackingNumber: string | null;
  sagaId: string | null;
  updatedAt: string;
}

const later = (a: string, b: string) => (a > b ? a : b);

/**
 * Pure: an order's summary state after one more event of its order, payment
 * or shipment stream, evolved by the aggregates' own deciders.
 */
export function evolveOrderSummary(state: OrderSummaryState | undefined, event: RecordedEvent): OrderSummaryState {
  const current: OrderSummaryState = state ?? {
    order: orderDecider.initialState(),
    payment: paymentDecider.initialState(),
    shipment: shipmentDecider.initialState(),
    updatedAt: event.recordedAt.toISOString(),
  };
  const e = { type: event.type, data: event.data };
  const updatedAt = later(current.updatedAt, event.recordedAt.toISOString());
  switch (event.streamType) {
    case 'order':
      return { ...current, order: orderDecider.evolve(current.order, e as OrderEvent), updatedAt };
    case 'payment':
      return { ...current, payment: paymentDecider.evolve(current.payment, e as PaymentEvent), updatedAt };
    case 'shipment':
      return { ...current, shipment: shipmentDecider.evolve(current.shipment, e as ShipmentEvent), updatedAt };
    default:
      return current;
  }
}

export function orderSummaryOf(orderId: string, state: OrderSummaryState): OrderSummary {
  const order = orderView(state.order);
  const shipment = shipmentView(state.shipment);
  return {
    orderId,
    status: order.status,
    total: order.total,
    currency: order.currency,
    customerId: order.customerId,
    shippingAddress: state.order.status === 'none' ? null : state.order.order.shippingAddress,
    lines: order.items,
    paymentStatus: paymentView(state.payment).status,
    shipmentStatus: shipment.status,
    trackingNumber: shipment.trackingNumber ?? null,
    sagaId: state.order.status === 'none' ? null : state.order.order.sagaId,
    updatedAt: state.updatedAt,
  };
}

export const orderSummaryProjection = documentProjection<OrderSummaryState>({
  name: ORDER_SUMMARY,
  // 2: the shipping address.
  rulesVersion: 2,
  table: 'rm_order_summaries',
  keyColumn: 'order_id',
  categories: ['order', 'payment', 'shipment'],
  evolve: evolveOrderSummary,
  columns: {
    status: 'text',
    total: 'bigint',
    currency: 'text',
    customer_id: 'text',
    shipping_address: 'jsonb',
    lines: 'jsonb',
    payment_status: 'text',
    shipment_status: 'text',
    tracking_number: 'text',
    saga_id: 'text',
    updated_at: 'timestamptz',
  },
  toColumns(state, orderId) {
    const s = orderSummaryOf(orderId, state);
    return {
      status: s.status,
      total: s.total,
      currency: s.currency,
      customer_id: s.customerId,
      shipping_address: s.shippingAddress,
      lines: s.lines,
      payment_status: s.paymentStatus,
      shipment_status: s.shipmentStatus,
      tracking_number: s.trackingNumber,
      saga_id: s.sagaId,
      updated_at: s.updatedAt,
    };
  },
});

const SELECT = `SELECT order_id, status, total, currency, customer_id, shipping_address, lines, payment_status, shipment_status,
  tracking_number, saga_id, updated_at FROM rm_order_summaries WHERE version = ${liveVersionOf(ORDER_SUMMARY)}`;

interface Row {
  order_id: string;
  status: OrderStatus;
  total: number;
  currency: string | null;
  customer_id: string | null;
  shipping_address: unknown;
  lines: OrderItem[];
  payment_status: PaymentStatus;
  shipment_status: ShipmentStatus;
  tracking_number: string | null;
  saga_id: string | null;
  updated_at: Date;
}

const toSummary = (r: Row): OrderSummary => ({
  orderId: r.order_id,
  status: r.status,
  total: r.total,
  currency: r.currency,
  customerId: r.customer_id,
  shippingAddress: r.shipping_address,
  lines: r.lines,
  paymentStatus: r.payment_status,
  shipmentStatus: r.shipment_status,
  trackingNumber: r.tracking_number,
  sagaId: r.saga_id,
  updatedAt: r.updated_at.toISOString(),
});

export async function findOrderSummary(db: Queryable, orderId: string): Promise<OrderSummary | undefined> {
  const { rows } = await db.query<Row>(`${SELECT} AND order_id = $1`, [orderId]);
  return rows[0] && toSummary(rows[0]);
}

export interface OrderFilter {
  status?: OrderStatus;
  customerId?: string;
  limit: number;
}

/** Newest first. */
export async function listOrderSummaries(db: Queryable, filter: OrderFilter): Promise<OrderSummary[]> {
  const { rows } = await db.query<Row>(
    `${SELECT} AND ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR customer_id = $2)
      ORDER BY updated_at DESC, order_id LIMIT $3`,
    [filter.status ?? null, filter.customerId ?? null, filter.limit],
  );
  return rows.map(toSummary);
}
