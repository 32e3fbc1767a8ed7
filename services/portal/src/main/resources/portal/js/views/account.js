// Account: what the tenant contracted (plan, service codes), where its data is kept, the service
// documents (docs/*.md bundled in the jar, rendered as text), and changing one's own password.
import { h, fill, field, problem, loading, time } from '../dom.js';
import { t } from '../i18n.js';
import { get, post } from '../api.js';
import { render as markdown } from '../markdown.js';

/** The bundled service documents, in reading order (the build copies docs/*.md to /portal/docs/). */
export const DOCS = ['portal.md', 'quickstart-auth.md', 'quickstart-config.md', 'caching.md', 'log-sinks.md',
  'audit.md', 'security-controls.md', 'architecture.md', 'operations.md', 'performance.md'];

export async function render(root, ctx) {
  if (ctx.args[0] === 'docs' && ctx.args[1]) return renderDoc(root, ctx, ctx.args[1], ctx.args[2]);
  const account = await get(ctx.base + '/account');
  const where = account.dataLocation || {};
  fill(root,
    h('h1', {}, t('nav.account')),
    h('div', { class: 'cols' },
      h('div', { class: 'card', id: 'account-plan' },
        h('h2', {}, t('account.contract')),
        h('dl', { class: 'facts' },
          h('dt', {}, t('account.tenant')), h('dd', { id: 'account-name' }, account.name, ' ', h('span', { class: 'mono muted' }, '(' + account.id + ')')),
          h('dt', {}, t('account.plan')), h('dd', { id: 'account-plan-code', class: 'mono' }, account.plan),
          h('dt', {}, t('account.features')), h('dd', { id: 'account-features' },
            (account.features || []).length ? (account.features || []).map((f) => h('span', { class: 'badge' }, f)) : t('account.noFeatures')),
          h('dt', {}, t('account.since')), h('dd', {}, time(account.createdAt)))),
      h('div', { class: 'card', id: 'account-location' },
        h('h2', {}, t('account.whereData')),
        h('p', {}, t('account.region'), ' ', h('strong', { id: 'account-region' }, where.region || t('account.noRegion'))),
        h('table', { id: 'data-location' },
          h('thead', {}, h('tr', {}, h('th', {}, t('account.data')), h('th', {}, t('account.storage')))),
          h('tbody', {}, (where.kinds || []).map((k) => h('tr', {},
            h('td', {}, t('account.data.' + k.data)), h('td', {}, t('account.storage.' + k.storage)))))))),
    passwordForm(ctx),
    h('div', { class: 'card', id: 'service-docs' },
      h('h2', {}, t('account.docs')),
      h('p', { class: 'muted' }, t('account.docsNote')),
      h('ul', {}, DOCS.map((d) => h('li', {}, h('a', { href: docHref(d), class: 'doc-link-item' }, t('doc.' + d)), ' ',
        h('span', { class: 'mono muted' }, d))))));
}

function docHref(name, anchor) {
  return '#/account/docs/' + encodeURIComponent(name) + (anchor ? '/' + encodeURIComponent(anchor) : '');
}

async function renderDoc(root, ctx, name, anchor) {
  fill(root, h('p', {}, h('a', { href: '#/account' }, '← ' + t('nav.account'))), loading());
  if (!DOCS.includes(name)) {
    fill(root, h('p', {}, h('a', { href: '#/account' }, '← ' + t('nav.account'))),
      h('div', { class: 'problem', role: 'alert' }, t('account.noDoc')));
    return;
  }
  let text;
  try {
    const res = await fetch('/portal/docs/' + name, { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) throw new Error('HTTP ' + res.status);
    text = await res.text();
  } catch (e) {
    fill(root, h('p', {}, h('a', { href: '#/account' }, '← ' + t('nav.account'))), problem(e));
    return;
  }
  fill(root,
    h('p', {}, h('a', { href: '#/account' }, '← ' + t('nav.account')), ' · ', h('span', { class: 'mono muted' }, name)),
    h('article', { class: 'card doc', id: 'doc', lang: 'en' }, markdown(text, docHref)));
  if (anchor) root.querySelector('#doc-' + CSS.escape(anchor))?.scrollIntoView();
}

/** Changing one's own password: the current one, the new one twice; the API checks and answers. */
function passwordForm(ctx) {
  const current = field(t('account.currentPassword'), h('input', { type: 'password', id: 'pw-current', autocomplete: 'current-password', required: true }));
  const next = field(t('account.newPassword'), h('input', { type: 'password', id: 'pw-new', autocomplete: 'new-password', required: true, minlength: 12 }), t('admin.passwordHint'));
  const again = field(t('account.repeatPassword'), h('input', { type: 'password', id: 'pw-again', autocomplete: 'new-password', required: true }));
  const out = h('div', { id: 'pw-result', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'pw-submit' }, t('account.changePassword'));
  const form = h('form', { class: 'card', id: 'password-form', 'aria-labelledby': 'pw-title' },
    h('h2', { id: 'pw-title' }, t('account.changePassword')),
    h('p', { class: 'muted' }, t('account.passwordNote')),
    current.row, next.row, again.row, out, submit);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    [current, next, again].forEach((f) => fill(f.error));
    fill(out);
    if (next.input.value !== again.input.value) {
      fill(again.error, t('account.mismatch'));
      again.input.focus();
      return;
    }
    submit.disabled = true;
    try {
      await post('/v1/auth/password', { currentPassword: current.input.value, newPassword: next.input.value });
      [current, next, again].forEach((f) => { f.input.value = ''; });
      fill(out, h('p', { class: 'okmsg', id: 'pw-changed' }, t('account.passwordChanged')));
    } catch (err) {
      const rest = [];
      for (const e of err.errors || []) {
        if (String(e).startsWith('currentPassword')) current.error.append(h('div', { class: 'api-error' }, e));
        else if (String(e).startsWith('newPassword')) next.error.append(h('div', { class: 'api-error' }, e));
        else rest.push(e);
      }
      if (rest.length || !(err.errors || []).length) fill(out, problem({ ...err, status: err.status, title: err.title, detail: err.detail, errors: rest }));
      (current.error.childNodes.length ? current.input : next.input).focus();
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
