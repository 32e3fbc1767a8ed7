// Recent access-log lines with filters, downloads, and (admins) the log sinks.
import { h, fill, field, problem, loading, time, num } from '../dom.js';
import { t } from '../i18n.js';
import { get, ndjson, q } from '../api.js';

const WINDOWS = { '15m': 15 * 60, '1h': 3600, '24h': 86400 };
const SHOWN = 200;

export async function render(root, ctx) {
  const win = field(t('logs.window'), h('select', { id: 'logs-window' }, Object.keys(WINDOWS).map((w) => h('option', { value: w, selected: w === '1h' }, t('range.' + w)))));
  const site = field(t('logs.site'), h('input', { type: 'text', id: 'logs-site', autocapitalize: 'off' }));
  const status = field(t('logs.status'), h('input', { type: 'text', id: 'logs-status', placeholder: '404,5xx' }));
  const cache = field(t('logs.cache'), h('input', { type: 'text', id: 'logs-cache', placeholder: 'hit,miss' }));
  const show = h('button', { type: 'submit', class: 'primary', id: 'logs-show' }, t('logs.show'));
  const form = h('form', { class: 'card toolbar', id: 'logs-form' }, win.row, site.row, status.row, cache.row, show);
  const downloads = h('p', { id: 'logs-downloads' });
  const out = h('div', { id: 'logs-out', 'aria-live': 'polite' });
  const sinks = h('div', { id: 'log-sinks' });

  function params(format) {
    const to = new Date();
    const from = new Date(to.getTime() - WINDOWS[win.input.value] * 1000);
    return q({ from: from.toISOString(), to: new Date(to.getTime() + 1000).toISOString(), site: site.input.value.trim(), status: status.input.value.trim(), cacheStatus: cache.input.value.trim(), format });
  }

  async function load() {
    fill(out, loading());
    const p = params('ndjson');
    fill(downloads, t('logs.download'), ' ',
      h('a', { href: ctx.base + '/logs' + p, download: 'access-log.ndjson', id: 'dl-ndjson' }, 'NDJSON'), ' · ',
      h('a', { href: ctx.base + '/logs' + params('combined'), download: 'access-log.log', id: 'dl-combined' }, t('logs.combined')));
    let lines;
    try {
      lines = await ndjson(ctx.base + '/logs' + p);
    } catch (err) {
      fill(out, problem(err));
      return;
    }
    const newest = lines.slice(-SHOWN).reverse();
    fill(out, h('p', { class: 'muted' }, t('logs.count', lines.length, newest.length)),
      newest.length === 0 ? h('p', { id: 'logs-none' }, t('logs.none')) :
        h('table', { id: 'logs-table' },
          h('thead', {}, h('tr', {}, ['logs.ts', 'logs.site', 'logs.method', 'logs.host', 'logs.path', 'logs.status', 'logs.cache', 'logs.bytes', 'logs.ms', 'logs.ua'].map((k) => h('th', {}, t(k))))),
          h('tbody', {}, newest.map((r) => h('tr', { class: 'log-line' },
            h('td', {}, time(r.ts)), h('td', {}, r.site), h('td', {}, r.method), h('td', { class: 'mono' }, r.host),
            h('td', { class: 'mono log-path' }, r.path), h('td', { class: 'num' }, String(r.status)), h('td', {}, r.cacheStatus),
            h('td', { class: 'num' }, num(r.bytes)), h('td', { class: 'num' }, num(r.totalMs)), h('td', { class: 'mono log-ua' }, r.userAgent || ''))))));
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });

  fill(root, h('h1', {}, t('nav.logs')), form, downloads, out,
    ctx.can('admin') ? [h('h2', {}, t('logs.sinks')), sinks] : null);
  await load();
  if (ctx.can('admin')) {
    fill(sinks, loading());
    try {
      const s = await get(ctx.base + '/log-sinks');
      fill(sinks, h('pre', { class: 'card mono', id: 'log-sinks-json' }, JSON.stringify(s, null, 2)));
    } catch (err) {
      if (err.status === 501 || err.status === 404) fill(sinks, h('div', { class: 'notice', id: 'log-sinks-unavailable' }, t('logs.sinksUnavailable')));
      else fill(sinks, problem(err));
    }
  }
}
