// The audit trail (newest first) and the verification of its hash chain.
import { h, fill, problem, loading, time } from '../dom.js';
import { t } from '../i18n.js';
import { get, ndjson, q } from '../api.js';

const SHOWN = 200;

export async function render(root, ctx) {
  const verify = h('div', { id: 'audit-verify', 'aria-live': 'polite' }, loading());
  const out = h('div', { id: 'audit-out' }, loading());
  fill(root, h('h1', {}, t('nav.audit')), h('h2', {}, t('audit.verification')), verify, h('h2', {}, t('audit.records')), out);
  const from = new Date(Date.now() - 30 * 86400 * 1000).toISOString();
  const [v, records] = await Promise.allSettled([get(ctx.base + '/audit/verify'), ndjson(ctx.base + '/audit' + q({ from }))]);
  if (v.status === 'fulfilled') {
    const r = v.value;
    fill(verify, h('p', {}, h('span', { class: r.ok ? 'badge ok' : 'badge bad', id: 'audit-ok', 'data-ok': String(r.ok) }, r.ok ? t('audit.intact') : t('audit.broken')),
      ' ', t('audit.checked', r.records), r.firstBad ? ' · ' + t('audit.firstBad', r.firstBad.seq) + ' ' + r.firstBad.reason : ''),
      h('p', { class: 'muted' }, t('audit.head'), ' ', h('span', { class: 'mono' }, r.head || '')));
  } else fill(verify, problem(v.reason));
  if (records.status === 'fulfilled') {
    const rows = records.value.slice(-SHOWN).reverse();
    fill(out, h('p', { class: 'muted' }, t('audit.shown', rows.length, records.value.length)),
      h('table', { id: 'audit-table' },
        h('thead', {}, h('tr', {}, ['audit.seq', 'audit.ts', 'audit.actor', 'audit.action', 'audit.target', 'audit.source', 'audit.outcome'].map((k) => h('th', {}, t(k))))),
        h('tbody', {}, rows.map((r) => h('tr', {}, h('td', { class: 'num' }, String(r.seq)), h('td', {}, time(r.ts)), h('td', {}, r.actor),
          h('td', { class: 'mono' }, r.action), h('td', { class: 'mono' }, r.target || ''), h('td', { class: 'mono' }, r.sourceIp || ''), h('td', {}, r.outcome || ''))))));
  } else fill(out, problem(records.reason));
}
