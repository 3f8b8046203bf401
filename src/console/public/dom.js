// @ts-check
/**
 * A tiny element builder. Text always goes in as text nodes, never as HTML:
 * event data is shown as it is and cannot inject markup.
 */

/** @typedef {Node | string | number | null | undefined | false} Child */

/**
 * @param {string} tag
 * @param {Record<string, unknown> | null} [attrs] `class`, `on<event>` handlers, `data-*`, any attribute; `false`/`null` skip it
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    } else if (name === 'value' && 'value' in el) {
      /** @type {HTMLInputElement} */ (el).value = String(value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

/**
 * @param {HTMLElement} el
 * @param {(Child | Child[])[]} children
 */
function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'object' ? child : String(child));
  }
}

/**
 * Replace an element's children.
 * @param {HTMLElement} el
 * @param {...(Child | Child[])} children
 */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** @param {string | undefined | null} iso */
export function time(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** @param {string | undefined | null} iso */
export function dateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.toLocaleDateString()} ${time(iso)}`;
}

/** @param {number | undefined | null} ms */
export function duration(ms) {
  if (ms === undefined || ms === null) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** @param {unknown} value */
export function json(value) {
  return h('pre', { class: 'json' }, JSON.stringify(value, null, 2));
}

/**
 * A collapsible JSON block.
 * @param {string} summary
 * @param {unknown} value
 * @param {boolean} [open]
 */
export function jsonDetails(summary, value, open = false) {
  return h('details', { class: 'json-details', open }, h('summary', null, summary), json(value));
}

/** @param {string} status */
export function statusBadge(status) {
  return h('span', { class: `badge status-${status.toLowerCase()}`, 'data-status': status }, status.replaceAll('_', ' '));
}

/** @param {string} id */
export function shortId(id) {
  return id.length > 13 ? `${id.slice(0, 8)}…` : id;
}

/**
 * A button that copies `text` to the clipboard (the Clipboard API where the
 * page is a secure context, else a selected textarea and execCommand), and
 * says so for a moment.
 * @param {string} text
 * @param {string} [what] what is copied, for the button's title
 */
export function copyButton(text, what = 'id') {
  const button = h('button', { type: 'button', class: 'copy', title: `Copy the full ${what}: ${text}`, 'aria-label': `copy ${what}`, 'data-copy': text }, 'copy');
  button.addEventListener('click', async (e) => {
    e.preventDefault();
    e.stopPropagation();
    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        ok = true;
      }
    } catch {
      ok = false;
    }
    if (!ok) {
      const area = /** @type {HTMLTextAreaElement} */ (h('textarea', { readonly: true, class: 'copy-buffer' }));
      area.value = text;
      document.body.append(area);
      area.select();
      ok = document.execCommand('copy');
      area.remove();
    }
    button.textContent = ok ? 'copied' : 'select and copy it';
    setTimeout(() => (button.textContent = 'copy'), 1500);
  });
  return button;
}
