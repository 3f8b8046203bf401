// @ts-check
import { ApiError, queryString } from './api.js';
import { getJson } from './token.js';
import { fill, h, json, time } from './dom.js';

/**
 * The aggregates a saga touched, now or as of one of its events, read through
 * GET /aggregates/:type/:id (?asOf= folds the stream up to that time).
 */

/** @typedef {import('./types.js').SagaDetail} SagaDetail */
/** @typedef {import('./types.js').SagaEvent} SagaEvent */

/**
 * The related streams, from the saga's input: its order (and that order's
 * payment and shipment, which share the order id) and each line's SKU.
 * @param {Record<string, any>} input
 * @returns {{ type: string, id: string }[]}
 */
export function relatedAggregates(input) {
  /** @type {{ type: string, id: string }[]} */
  const related = [];
  if (typeof input.orderId === 'string') {
    for (const type of ['order', 'payment', 'shipment']) related.push({ type, id: input.orderId });
  }
  const skus = new Set(Array.isArray(input.items) ? input.items.map((/** @type {{ sku: string }} */ i) => i.sku) : []);
  for (const sku of skus) related.push({ type: 'inventory', id: sku });
  return related;
}

/**
 * The event store records times at millisecond precision (what JSON carries),
 * so an event's own recordedAt includes everything its transaction wrote.
 * @param {SagaEvent} event
 */
export const asOfFor = (event) => event.recordedAt;

export function aggregatesView() {
  /** @type {{ type: string, id: string }[]} */
  let related = [];
  /** @type {SagaEvent | undefined} */
  let asOf;
  let shownVersion = -1;
  let generation = 0;
  const caption = h('p', { class: 'as-of-caption' });
  const cards = h('div', { class: 'aggregate-cards' });
  const el = h('section', { class: 'aggregates', id: 'aggregates' }, h('h2', null, 'Aggregates'), caption, cards);

  async function load() {
    const mine = ++generation;
    const at = asOf && asOfFor(asOf);
    fill(caption,
      asOf
        ? [`As of ${time(asOf.recordedAt)}, right after event #${asOf.position} `, h('code', null, asOf.type), ' · ', h('button', { class: 'link', type: 'button', onclick: () => showAsOf(undefined) }, 'back to now')]
        : 'Now. Click a timeline row to see them as of that moment.');
    el.classList.toggle('historic', asOf !== undefined);
    const loaded = await Promise.all(related.map(async (a) => ({ ...a, result: await fetchAggregate(a, at) })));
    if (mine !== generation) return; // a newer request replaced this one
    fill(cards, loaded.map(card));
  }

  /** @param {SagaEvent | undefined} event */
  function showAsOf(event) {
    asOf = event;
    void load();
  }

  /** @param {SagaDetail} detail Reloads "now" when the saga moved on. */
  function update(detail) {
    related = relatedAggregates(detail.input ?? {});
    if (asOf === undefined && detail.version !== shownVersion) {
      shownVersion = detail.version;
      void load();
    }
  }

  return { el, update, showAsOf };
}

/**
 * @param {{ type: string, id: string }} a
 * @param {string | undefined} asOf
 * @returns {Promise<{ version: number, state: unknown } | { missing: true } | { error: string }>}
 */
async function fetchAggregate(a, asOf) {
  try {
    return await getJson(`/aggregates/${a.type}/${encodeURIComponent(a.id)}${queryString({ asOf })}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && !err.routeMissing) return { missing: true };
    return { error: /** @type {Error} */ (err).message };
  }
}

/** @param {{ type: string, id: string, result: any }} a */
function card(a) {
  // Version 0: the stream exists now but had no events yet at that time.
  const result = a.result.version === 0 ? { missing: true } : a.result;
  return h('div', { class: `aggregate-card${result.missing ? ' missing' : ''}`, 'data-aggregate': `${a.type}-${a.id}` },
    h('div', { class: 'card-title' }, a.type, ' ', h('span', { class: 'mono muted' }, a.id), 'version' in result && h('span', { class: 'version' }, `v${result.version}`)),
    result.missing ? h('p', { class: 'muted' }, 'no events yet') : result.error ? h('p', { class: 'error' }, result.error) : json(result.state),
  );
}
