// @ts-check
import { ApiError } from './api.js';
import { fill, h } from './dom.js';
import { initialValue, schemaForm } from './schema-form.js';
import { authorized, getJson } from './token.js';

/**
 * "Start a saga": every registered type (GET /sagas/types), each with a form
 * generated from its input's JSON Schema and prefilled with the schema's
 * first example, posted to POST /sagas/<type>.
 *
 * One helper is about the demo's inventory, not about a saga type: when the
 * input has `items` with a `sku` and `quantity`, "add stock when short" tops
 * each SKU up first (at least TOP_UP; an operator action, so it asks for the
 * token), so the order example completes on a fresh database. Untick it to
 * watch a saga compensate for lack of stock.
 */
const TOP_UP = 10;

/** @typedef {{ type: string, inputSchema: import('./schema-form.js').Schema }} SagaType */

export function startSagaPanel() {
  // One key per saga being entered: a double submit or a retry after a
  // network error starts the saga once (the key becomes the saga id).
  let idempotencyKey = crypto.randomUUID();
  const result = h('p', { class: 'result', role: 'status' });
  const typeSelect = /** @type {HTMLSelectElement} */ (h('select', { name: 'sagaType', id: 'saga-type' }));
  const formBox = h('div', { class: 'generated' });
  const topUp = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', name: 'topUp', checked: true }));
  const topUpLabel = h('label', { class: 'inline', title: `Reads each SKU's stock first; when fewer than the quantity are available, adds what is missing (at least ${TOP_UP}). Adding stock is an operator action: it asks for the ADMIN_TOKEN.` },
    topUp, 'add stock when short (operator)');
  /** @type {SagaType[]} */
  let types = [];
  /** @type {{ el: HTMLElement, read: () => unknown } | undefined} */
  let form;

  function showType() {
    const type = types.find((t) => t.type === typeSelect.value);
    if (!type) return;
    form = schemaForm(type.inputSchema, initialValue(type.inputSchema));
    fill(formBox, form.el);
    const props = type.inputSchema.properties ?? {};
    topUpLabel.hidden = !(props.items?.items?.properties?.sku && props.items?.items?.properties?.quantity);
  }

  async function load() {
    try {
      ({ types } = /** @type {{ types: SagaType[] }} */ (await getJson('/sagas/types')));
      fill(typeSelect, types.map((t) => h('option', { value: t.type }, t.type)));
      showType();
    } catch (err) {
      show(err);
    }
  }

  /** @param {SubmitEvent} e */
  async function submit(e) {
    e.preventDefault();
    if (!form) return;
    const body = /** @type {Record<string, any>} */ (form.read());
    try {
      if (!topUpLabel.hidden && topUp.checked) {
        for (const line of Array.isArray(body.items) ? body.items : []) await ensureStock(String(line.sku), Number(line.quantity));
      }
      const started = await authorized('POST', `/sagas/${encodeURIComponent(typeSelect.value)}`, { body, headers: { 'idempotency-key': idempotencyKey } });
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
    const sku = String(f.get('sku'));
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

  typeSelect.addEventListener('change', showType);
  void load();
  return h('details', { class: 'panel new-saga' },
    h('summary', null, 'Start a saga'),
    h('form', { id: 'start-saga', onsubmit: submit },
      h('label', null, 'Type', typeSelect),
      formBox,
      h('p', { class: 'row' }, topUpLabel, h('button', { class: 'primary', type: 'submit' }, 'Start saga')),
    ),
    h('p', { class: 'muted hint' }, 'The form follows the type\'s input schema (GET /sagas/types) and starts with its example. Fields the server generates are not asked for.'),
    h('form', { class: 'row', id: 'add-stock', onsubmit: addStock },
      h('label', null, 'Add stock: SKU', h('input', { name: 'sku', value: 'sku-demo', required: true, size: 10 })),
      h('label', null, 'quantity', h('input', { name: 'stock', type: 'number', min: 1, value: 10, class: 'num' })),
      h('button', { type: 'submit' }, 'Add stock (operator)'),
    ),
    result,
  );
}
