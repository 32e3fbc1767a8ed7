// Building the page. Every value that came from the API goes in as text (a Text node or
// textContent), never as markup: a site name or a log line holding <script> stays inert.
import { t, lang } from './i18n.js';

/** An element: h('td', {class: 'num'}, 'text', childNode, ...). Strings become Text nodes. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = String(v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let ids = 0;
/** A fresh element id, for label/for pairs. */
export function uid(prefix) {
  ids += 1;
  return `${prefix || 'f'}-${ids}`;
}

/** A labelled control: returns {row, input, error}; the error element is where field errors go. */
export function field(labelText, input, hint) {
  if (!input.id) input.id = uid('in');
  const error = h('div', { class: 'field-error', id: input.id + '-err', 'aria-live': 'polite' });
  input.setAttribute('aria-describedby', error.id);
  const row = h('div', { class: input.type === 'checkbox' ? 'row inline' : 'row' },
    input.type === 'checkbox' ? [input, h('label', { for: input.id }, labelText)] : [h('label', { for: input.id }, labelText), input],
    hint ? h('div', { class: 'muted' }, hint) : null, error);
  return { row, input, error };
}

/** A <time>: local time as text, the UTC instant in the title (shown on hover) and datetime. */
export function time(iso) {
  if (!iso) return h('span', {}, '—');
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h('span', {}, String(iso));
  return h('time', { datetime: d.toISOString(), title: 'UTC ' + d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') }, formatTime(d));
}

export function formatTime(d) {
  return new Intl.DateTimeFormat(lang(), { dateStyle: 'medium', timeStyle: 'medium' }).format(d);
}

export function num(n, digits) {
  if (n == null || Number.isNaN(n)) return '—';
  return new Intl.NumberFormat(lang(), { maximumFractionDigits: digits == null ? 0 : digits }).format(n);
}

export function pct(r) {
  if (r == null || Number.isNaN(r)) return '—';
  return new Intl.NumberFormat(lang(), { style: 'percent', maximumFractionDigits: 1 }).format(r);
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
export function bytes(n) {
  if (n == null) return '—';
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1000 && u < UNITS.length - 1) { v /= 1000; u += 1; }
  return num(v, u === 0 ? 0 : 1) + ' ' + UNITS[u];
}

export function bits(n) {
  if (n == null) return '—';
  const U = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1000 && u < U.length - 1) { v /= 1000; u += 1; }
  return num(v, 1) + ' ' + U[u];
}

/** The message for a failed call: the API's explanation, and what 503 and network failures mean. */
export function problem(err) {
  const box = h('div', { class: 'problem', role: 'alert' });
  if (!err || err.status === undefined) {
    return fill(box, t('error.unexpected'), ' ', String(err && err.message || err));
  }
  if (err.status === 0) return fill(box, t('error.network'));
  if (err.status === 503) {
    // the API is up but a dependency (the store) is not: say so, and offer to load the view again
    const retry = h('button', { type: 'button', class: 'retry', id: 'retry' }, t('error.retry'));
    retry.addEventListener('click', () => location.reload());
    box.setAttribute('data-status', '503');
    return fill(box, h('strong', {}, t('error.unavailableTitle')), ' ', t('error.unavailable'),
      err.detail ? ' (' + err.detail + ')' : '', ' ', retry);
  }
  if (err.status === 403) return fill(box, t('error.forbidden'), ' ', err.detail || '');
  fill(box, `${err.status} ${err.title || ''}`.trim(), err.detail ? ': ' + err.detail : '');
  if (err.errors && err.errors.length) box.append(h('ul', {}, err.errors.map((e) => h('li', {}, e))));
  return box;
}

export function loading() {
  return h('p', { class: 'loading', role: 'status' }, t('loading'));
}
