// @ts-check
import { ApiError, queryString } from './api.js';
import { getJson } from './token.js';
import { fill, h, json, time } from './dom.js';

/**
 * The streams a saga touched (GET /sagas/:id/streams: every stream with an
 * event correlated with the saga, whatever its type), now or as of one of its
 * events. An aggregate is read through GET /aggregates/:type/:id (?asOf= folds
 * it up to that time); any other stream shows its events up to that time.
 */

/** @typedef {{ streamId: string, category: string, id: string, aggregate: boolean, version: number }} Related */

/** @typedef {import('./types.js').SagaDetail} SagaDetail */
/** @typedef {import('./types.js').SagaEvent} SagaEvent */

/**
 * The event store records times at millisecond precision (what JSON carries),
 * so an event's own recordedAt includes everything its transaction wrote.
 * @param {SagaEvent} event
 */
export const asOfFor = (event) => event.recordedAt;

export function aggregatesView() {
  /** @type {Related[]} */
  let related = [];
  let sagaId = '';
  /** @type {SagaEvent | undefined} */
  let asOf;
  let shownVersion = -1;
  let generation = 0;
  const caption = h('p', { class: 'as-of-caption' });
  const cards = h('div', { class: 'aggregate-cards' });
  const el = h('section', { class: 'aggregates', id: 'aggregates' }, h('h2', null, 'Streams it touched'), caption, cards);

  async function load() {
    const mine = ++generation;
    const at = asOf && asOfFor(asOf);
    fill(caption,
      asOf
        ? [`As of ${time(asOf.recordedAt)}, right after event #${asOf.position} `, h('code', null, asOf.type), ' · ', h('button', { class: 'link', type: 'button', onclick: () => showAsOf(undefined) }, 'back to now')]
        : 'Now. Click a timeline row to see them as of that moment.');
    el.classList.toggle('historic', asOf !== undefined);
    try {
      related = (await getJson(`/sagas/${encodeURIComponent(sagaId)}/streams`)).streams;
    } catch (err) {
      if (mine === generation) fill(cards, h('p', { class: 'error' }, /** @type {Error} */ (err).message));
      return;
    }
    const loaded = await Promise.all(related.map(async (a) => ({ ...a, result: await fetchStream(a, at) })));
    if (mine !== generation) return; // a newer request replaced this one
    fill(cards, loaded.length ? loaded.map(card) : h('p', { class: 'muted' }, 'No other stream yet.'));
  }

  /** @param {SagaEvent | undefined} event */
  function showAsOf(event) {
    asOf = event;
    void load();
  }

  /** @param {SagaDetail} detail Reloads "now" when the saga moved on. */
  function update(detail) {
    sagaId = detail.sagaId;
    if (asOf === undefined && detail.version !== shownVersion) {
      shownVersion = detail.version;
      void load();
    }
  }

  return { el, update, showAsOf };
}

/**
 * An aggregate's state, or a plain stream's events, as of `asOf` (now when undefined).
 * @param {Related} a
 * @param {string | undefined} asOf
 * @returns {Promise<{ version: number, state: unknown } | { missing: true } | { error: string }>}
 */
async function fetchStream(a, asOf) {
  try {
    if (a.aggregate) return await getJson(`/aggregates/${a.category}/${encodeURIComponent(a.id)}${queryString({ asOf })}`);
    const { events } = /** @type {{ events: { type: string, data: unknown, recordedAt: string }[] }} */ (await getJson(`/streams/${encodeURIComponent(a.streamId)}`));
    const until = asOf ? events.filter((e) => Date.parse(e.recordedAt) <= Date.parse(asOf)) : events;
    return { version: until.length, state: until.map((e) => ({ type: e.type, data: e.data })) };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && !err.routeMissing) return { missing: true };
    return { error: /** @type {Error} */ (err).message };
  }
}

/** @param {Related & { result: any }} a */
function card(a) {
  // Version 0: the stream exists now but had no events yet at that time.
  const result = a.result.version === 0 ? { missing: true } : a.result;
  return h('div', { class: `aggregate-card${result.missing ? ' missing' : ''}`, 'data-aggregate': a.streamId },
    h('div', { class: 'card-title' }, a.category, ' ', h('span', { class: 'mono muted' }, a.id), !a.aggregate && h('span', { class: 'muted' }, ' (events)'), 'version' in result && h('span', { class: 'version' }, `v${result.version}`)),
    result.missing ? h('p', { class: 'muted' }, 'no events yet') : result.error ? h('p', { class: 'error' }, result.error) : json(result.state),
  );
}
