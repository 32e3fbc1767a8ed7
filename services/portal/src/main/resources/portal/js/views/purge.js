// Purge by URL, prefix, tag, host or everything, soft or hard, with the live status until every
// edge has applied it. The API keeps a purge's status for an hour but does not list purges, so
// "recent purges" are the ones made from this page since it was opened.
import { h, fill, field, problem, time } from '../dom.js';
import { t } from '../i18n.js';
import { get, post } from '../api.js';

const recent = [];
const SCOPES = ['urls', 'prefixes', 'tags', 'hosts', 'all'];

export async function render(root, ctx) {
  const scope = field(t('purge.scope'), h('select', { id: 'purge-scope' }, SCOPES.map((s) => h('option', { value: s }, t('purge.' + s)))));
  const values = field(t('purge.values'), h('textarea', { id: 'purge-values', rows: 5, spellcheck: 'false' }), t('purge.valuesHint'));
  const soft = field(t('purge.soft'), h('input', { type: 'checkbox', id: 'purge-soft' }));
  const out = h('div', { id: 'purge-status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'purge-submit' }, t('purge.submit'));
  const form = h('form', { class: 'card', id: 'purge-form' }, scope.row, values.row, soft.row, submit);
  const table = h('tbody', { id: 'recent-purges' });
  let stopped = false;
  ctx.onCleanup(() => { stopped = true; });
  scope.input.addEventListener('change', () => { values.row.hidden = scope.input.value === 'all'; });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    fill(values.error);
    const body = {};
    if (scope.input.value === 'all') body.all = true;
    else {
      const list = values.input.value.split('\n').map((x) => x.trim()).filter(Boolean);
      if (!list.length) { fill(values.error, t('purge.empty')); values.input.focus(); return; }
      body[scope.input.value] = list;
    }
    if (soft.input.checked) body.soft = true;
    submit.disabled = true;
    try {
      const st = await post(ctx.base + '/purge', body);
      const entry = { id: st.id, status: st, body };
      recent.unshift(entry);
      renderRecent();
      follow(entry);
    } catch (err) {
      fill(out, problem(err));
    } finally {
      submit.disabled = false;
    }
  });

  function show(st) {
    const cls = st.status === 'done' ? 'badge ok' : st.status === 'partial' ? 'badge bad' : 'badge';
    fill(out, h('div', { class: 'card' },
      h('p', {}, t('purge.id'), ' ', h('span', { class: 'mono', id: 'purge-id' }, st.id), ' ',
        h('span', { class: cls, id: 'purge-state', 'data-status': st.status }, t('purge.status.' + st.status))),
      h('p', {}, t('purge.edges', (st.nodes || []).length, Object.keys(st.acked || {}).length),
        st.missing && st.missing.length ? ' · ' + t('purge.missing') + ' ' + st.missing.join(', ') : '',
        st.tookMs != null ? ' · ' + t('purge.took', st.tookMs) : '')));
  }

  async function follow(entry) {
    show(entry.status);
    const until = Date.now() + 60000;
    while (!stopped && entry.status.status === 'pending' && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 500));
      try {
        entry.status = await get(ctx.base + '/purge/' + encodeURIComponent(entry.id));
      } catch (err) {
        if (!stopped) fill(out, problem(err));
        return;
      }
      if (!stopped) { show(entry.status); renderRecent(); }
    }
  }

  function renderRecent() {
    fill(table, recent.map((e) => h('tr', {},
      h('td', { class: 'mono' }, e.id), h('td', {}, time(e.status.acceptedAt)),
      h('td', {}, e.status.scope || ''), h('td', {}, e.body.soft ? t('purge.softShort') : t('purge.hardShort')),
      h('td', { class: 'mono' }, e.body.all ? '*' : (Object.values(e.body).find(Array.isArray) || []).join(' ')),
      h('td', {}, t('purge.status.' + e.status.status)))));
  }

  fill(root, h('h1', {}, t('nav.purge')), form, out,
    h('h2', {}, t('purge.recent')), h('p', { class: 'muted' }, t('purge.recentNote')),
    h('table', {}, h('thead', {}, h('tr', {}, ['purge.id', 'purge.accepted', 'purge.scope', 'purge.mode', 'purge.values', 'purge.state'].map((k) => h('th', {}, t(k))))), table));
  renderRecent();
}
