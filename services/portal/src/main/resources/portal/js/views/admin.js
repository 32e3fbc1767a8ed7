// Users and roles, API keys (the secret shown once), the IP allow-list.
import { h, fill, field, problem, time } from '../dom.js';
import { t } from '../i18n.js';
import { get, post, put, del, call } from '../api.js';

const ROLES = ['admin', 'editor', 'purger', 'viewer'];
const roleSelect = (id, value) => h('select', { id }, ROLES.map((r) => h('option', { value: r, selected: r === value }, t('role.' + r))));

export async function render(root, ctx) {
  const users = h('div', { id: 'users' });
  const keys = h('div', { id: 'keys' });
  const allow = h('div', { id: 'allowlist' });
  fill(root, h('h1', {}, t('nav.admin')),
    h('h2', {}, t('admin.users')), users,
    h('h2', {}, t('admin.keys')), keys,
    h('h2', {}, t('admin.allowlist')), allow);
  await Promise.all([renderUsers(users, ctx), renderKeys(keys, ctx), renderAllowlist(allow, ctx)]);
}

async function renderUsers(box, ctx) {
  const msg = h('div', { 'aria-live': 'polite' });
  let list;
  try { list = await get(ctx.base + '/users'); } catch (err) { fill(box, problem(err)); return; }
  const name = field(t('admin.username'), h('input', { type: 'text', id: 'new-user-name', autocomplete: 'off', required: true }));
  const pass = field(t('admin.password'), h('input', { type: 'password', id: 'new-user-password', autocomplete: 'new-password', required: true }), t('admin.passwordHint'));
  const role = field(t('admin.role'), roleSelect('new-user-role', 'viewer'));
  const form = h('form', { class: 'card toolbar', id: 'new-user' }, name.row, pass.row, role.row, h('button', { type: 'submit', class: 'primary' }, t('admin.addUser')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await post(ctx.base + '/users', { username: name.input.value.trim(), password: pass.input.value, role: role.input.value });
      await renderUsers(box, ctx);
    } catch (err) { fill(msg, problem(err)); }
  });
  fill(box, msg, h('table', { id: 'users-table' },
    h('thead', {}, h('tr', {}, ['admin.username', 'admin.role', 'admin.created', ''].map((k) => h('th', {}, k ? t(k) : '')))),
    h('tbody', {}, (list.users || []).map((u) => {
      const sel = roleSelect('role-' + u.username, u.role);
      sel.setAttribute('aria-label', t('admin.roleOf', u.username));
      sel.addEventListener('change', async () => {
        try { await call('PATCH', ctx.base + '/users/' + encodeURIComponent(u.username), { role: sel.value }); fill(msg, h('p', { class: 'okmsg' }, t('admin.saved'))); } catch (err) { fill(msg, problem(err)); }
      });
      const rm = h('button', { type: 'button', class: 'danger', 'aria-label': t('admin.deleteUser', u.username) }, t('admin.delete'));
      rm.addEventListener('click', async () => {
        try { await del(ctx.base + '/users/' + encodeURIComponent(u.username)); await renderUsers(box, ctx); } catch (err) { fill(msg, problem(err)); }
      });
      return h('tr', {}, h('td', {}, u.username), h('td', {}, sel), h('td', {}, time(u.createdAt)), h('td', {}, rm));
    }))), form);
}

async function renderKeys(box, ctx, created) {
  const msg = h('div', { 'aria-live': 'polite' });
  let list;
  try { list = await get(ctx.base + '/api-keys'); } catch (err) { fill(box, problem(err)); return; }
  const name = field(t('admin.keyName'), h('input', { type: 'text', id: 'new-key-name', required: true }));
  const role = field(t('admin.role'), roleSelect('new-key-role', 'viewer'));
  const form = h('form', { class: 'card toolbar', id: 'new-key' }, name.row, role.row, h('button', { type: 'submit', class: 'primary' }, t('admin.addKey')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const k = await post(ctx.base + '/api-keys', { name: name.input.value.trim(), role: role.input.value });
      await renderKeys(box, ctx, k);
    } catch (err) { fill(msg, problem(err)); }
  });
  fill(box,
    created ? h('div', { class: 'secret', id: 'new-key-secret', role: 'status' }, h('p', {}, t('admin.keyOnce')),
      h('p', { class: 'mono', id: 'new-key-value' }, created.key)) : null,
    msg, h('table', { id: 'keys-table' },
      h('thead', {}, h('tr', {}, ['admin.keyName', 'admin.keyPrefix', 'admin.role', 'admin.created', ''].map((k) => h('th', {}, k ? t(k) : '')))),
      h('tbody', {}, (list.apiKeys || []).map((k) => {
        const rm = h('button', { type: 'button', class: 'danger', 'aria-label': t('admin.revokeKey', k.name) }, t('admin.revoke'));
        rm.addEventListener('click', async () => {
          try { await del(ctx.base + '/api-keys/' + encodeURIComponent(k.id)); await renderKeys(box, ctx); } catch (err) { fill(msg, problem(err)); }
        });
        return h('tr', {}, h('td', {}, k.name), h('td', { class: 'mono' }, k.prefix), h('td', {}, t('role.' + k.role)), h('td', {}, time(k.createdAt)), h('td', {}, rm));
      }))), form);
}

async function renderAllowlist(box, ctx) {
  let current;
  try { current = await get(ctx.base + '/ip-allowlist'); } catch (err) { fill(box, problem(err)); return; }
  const cidrs = field(t('admin.cidrs'), h('textarea', { id: 'allowlist-cidrs', rows: 4, spellcheck: 'false' }), t('admin.cidrsHint'));
  cidrs.input.value = (current.cidrs || []).join('\n');
  const msg = h('div', { 'aria-live': 'polite', id: 'allowlist-msg' });
  const form = h('form', { class: 'card', id: 'allowlist-form' }, h('p', { class: 'muted' }, t('admin.guard')), cidrs.row, msg,
    h('button', { type: 'submit', class: 'primary' }, t('admin.saveAllowlist')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const list = cidrs.input.value.split(/[\n,]/).map((x) => x.trim()).filter(Boolean);
      await put(ctx.base + '/ip-allowlist', { cidrs: list });
      fill(msg, h('p', { class: 'okmsg' }, t('admin.saved')));
    } catch (err) { fill(msg, problem(err)); }
  });
  fill(box, form);
}
