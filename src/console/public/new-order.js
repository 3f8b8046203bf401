// @ts-check
import { ApiError } from './api.js';
import { h } from './dom.js';
import { authorized, getJson } from './token.js';

/**
 * Start an order-fulfillment saga from the console (POST /orders), and top up
 * stock for it (an operator action). The card tokens are the payment
 * simulator's: they pick the story the saga will tell.
 *
 * A fresh database has no stock, so the defaults would always compensate at
 * reserveStock. With "add stock when short" ticked (the default), the form
 * reads the SKU's inventory first and, when fewer than the quantity are
 * available, adds what is missing (at least TOP_UP) before starting the saga:
 * an operator action, so it asks for the token.
 */
const TOP_UP = 10;
const CARDS = [
  ['tok_visa', 'tok_visa: pays'],
  ['tok_declined', 'tok_declined: declined → compensates'],
  ['tok_flaky', 'tok_flaky: times out twice, then pays'],
  ['tok_unvoidable', 'tok_unvoidable: its void keeps failing'],
];

export function newOrderPanel() {
  // One key per order being entered: a double submit or a retry after a
  // network error starts the saga once (the key becomes the saga id).
  let idempotencyKey = crypto.randomUUID();
  const result = h('p', { class: 'result', role: 'status' });

  /** @param {SubmitEvent} e */
  async function submit(e) {
    e.preventDefault();
    const f = new FormData(/** @type {HTMLFormElement} */ (e.target));
    const body = {
      customerId: String(f.get('customerId')),
      currency: 'EUR',
      items: [{ sku: String(f.get('sku')), quantity: Number(f.get('quantity')), unitPrice: Number(f.get('unitPrice')) }],
      payment: { token: String(f.get('card')) },
      shippingAddress: { name: 'Console Customer', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: String(f.get('country')) },
    };
    try {
      if (f.get('topUp')) await ensureStock(body.items[0].sku, body.items[0].quantity);
      const started = await authorized('POST', '/orders', { body, headers: { 'idempotency-key': idempotencyKey } });
      idempotencyKey = crypto.randomUUID();
      location.hash = `#/sagas/${encodeURIComponent(started.sagaId)}`;
    } catch (err) {
      show(err);
    }
  }

  /**
   * Add what is missing for `quantity` of `sku` (at least TOP_UP) when too few are available.
   * @param {string} sku
   * @param {number} quantity
   */
  async function ensureStock(sku, quantity) {
    let available = 0;
    try {
      const inv = await getJson(`/aggregates/inventory/${encodeURIComponent(sku)}`);
      available = Number(inv.state?.available ?? 0);
    } catch (err) {
      // No stream yet: a SKU nobody has stocked.
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
    if (available >= quantity) return;
    const res = await authorized('POST', `/inventory/${encodeURIComponent(sku)}/stock`, { body: { quantity: Math.max(TOP_UP, quantity - available) } });
    result.className = 'result ok';
    result.textContent = `${sku}: added stock, on hand ${res.state.onHand}, available ${res.state.available}`;
  }

  /** @param {SubmitEvent} e */
  async function addStock(e) {
    e.preventDefault();
    const f = new FormData(/** @type {HTMLFormElement} */ (e.target));
    const sku = /** @type {HTMLInputElement} */ (skuInput).value;
    try {
      const res = await authorized('POST', `/inventory/${encodeURIComponent(sku)}/stock`, { body: { quantity: Number(f.get('stock')) } });
      result.className = 'result ok';
      result.textContent = `${sku}: on hand ${res.state.onHand}, available ${res.state.available}`;
    } catch (err) {
      show(err);
    }
  }

  /** @param {unknown} err */
  function show(err) {
    result.className = 'result error';
    const fields = err instanceof ApiError && err.problem.errors ? ` (${err.problem.errors.map((x) => `${x.field}: ${x.message}`).join('; ')})` : '';
    result.textContent = `${/** @type {Error} */ (err).message}${fields}`;
  }

  const skuInput = h('input', { name: 'sku', value: 'sku-demo', required: true, size: 10 });
  return h('details', { class: 'panel new-order' },
    h('summary', null, 'Start an order'),
    h('form', { class: 'row', id: 'new-order', onsubmit: submit },
      h('label', null, 'Customer', h('input', { name: 'customerId', value: 'cust-1', required: true, size: 8 })),
      h('label', null, 'SKU', skuInput),
      h('label', null, 'Qty', h('input', { name: 'quantity', type: 'number', min: 1, value: 1, required: true, class: 'num' })),
      h('label', null, 'Unit price', h('input', { name: 'unitPrice', type: 'number', min: 1, value: 100, required: true, class: 'num' })),
      h('label', null, 'Card', h('select', { name: 'card' }, CARDS.map(([value, label]) => h('option', { value }, label)))),
      h('label', null, 'Country', h('select', { name: 'country' }, h('option', { value: 'DE' }, 'DE'), h('option', { value: 'XX' }, 'XX: carrier refuses'))),
      h('label', { class: 'inline', title: `Reads the SKU's stock first; when fewer than the quantity are available, adds what is missing (at least ${TOP_UP}). Adding stock is an operator action: it asks for the ADMIN_TOKEN when the token held is a client's.` },
        h('input', { type: 'checkbox', name: 'topUp', checked: true }), 'add stock when short (operator)'),
      h('button', { class: 'primary', type: 'submit' }, 'Start saga'),
    ),
    h('p', { class: 'muted hint' }, `A fresh database has no stock: with "add stock when short" the SKU gets what it lacks (at least ${TOP_UP}) before the saga starts, so the defaults complete. Untick it to watch a saga compensate for lack of stock.`),
    h('form', { class: 'row', id: 'add-stock', onsubmit: addStock },
      h('label', null, 'Stock for the SKU above', h('input', { name: 'stock', type: 'number', min: 1, value: 10, class: 'num' })),
      h('button', { type: 'submit' }, 'Add stock (operator)'),
    ),
    result,
  );
}
