// The portal's shell: session, navigation by URL hash, language, and the current view.
import { h, fill, problem, loading } from './dom.js';
import { t, lang, setLang, applyStatic } from './i18n.js';
import { get, post, onUnauthorized } from './api.js';
import * as dashboard from './views/dashboard.js';
import * as sites from './views/sites.js';
import * as purge from './views/purge.js';
import * as logs from './views/logs.js';
import * as admin from './views/admin.js';
import * as audit from './views/audit.js';
import * as notifications from './views/notifications.js';
import * as account from './views/account.js';

const ROLES = ['viewer', 'purger', 'editor', 'admin'];

/** The views, the role each needs (the API refuses the calls anyway), in menu order. */
const VIEWS = [
  { id: 'dashboard', view: dashboard, role: 'viewer' },
  { id: 'sites', view: sites, role: 'viewer' },
  { id: 'purge', view: purge, role: 'purger' },
  { id: 'logs', view: logs, role: 'viewer' },
  { id: 'admin', view: admin, role: 'admin' },
  { id: 'audit', view: audit, role: 'admin' },
  { id: 'notifications', view: notifications, role: 'viewer' },
  { id: 'account', view: account, role: 'viewer' },
];

const state = { session: null, cleanups: [] };
const main = () => document.getElementById('main');

/** Whether the logged-in user's role is at least {@code role}. */
export function can(role) {
  return state.session != null && ROLES.indexOf(state.session.role) >= ROLES.indexOf(role);
}

function cleanup() {
  for (const fn of state.cleanups.splice(0)) {
    try { fn(); } catch (e) { /* the view is gone */ }
  }
}

function showLogin(message) {
  cleanup();
  state.session = null;
  document.getElementById('top').hidden = true;
  const tenant = h('input', { type: 'text', id: 'login-tenant', name: 'tenant', autocomplete: 'organization', required: true, autocapitalize: 'off', spellcheck: 'false' });
  const user = h('input', { type: 'text', id: 'login-username', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'off', spellcheck: 'false' });
  const pass = h('input', { type: 'password', id: 'login-password', name: 'password', autocomplete: 'current-password', required: true });
  const out = h('div', { id: 'login-message', 'aria-live': 'assertive' });
  if (message) out.append(h('div', { class: 'notice' }, message));
  const submit = h('button', { type: 'submit', class: 'primary', id: 'login-submit' }, t('login.submit'));
  const form = h('form', { class: 'card login', id: 'login-form', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, t('login.title')),
    h('div', { class: 'row' }, h('label', { for: tenant.id }, t('login.tenant')), tenant),
    h('div', { class: 'row' }, h('label', { for: user.id }, t('login.username')), user),
    h('div', { class: 'row' }, h('label', { for: pass.id }, t('login.password')), pass),
    out, submit);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    fill(out, h('p', { class: 'loading', role: 'status' }, t('login.checking')));
    try {
      state.session = await post('/v1/auth/session', { tenant: tenant.value.trim(), username: user.value.trim(), password: pass.value }, { quiet: true });
      pass.value = '';
      if (!location.hash || location.hash === '#/login') location.hash = '#/dashboard';
      startApp();
    } catch (err) {
      fill(out, loginRefusal(err));
      submit.disabled = false;
      pass.focus();
    }
  });
  fill(main(), form);
  tenant.focus();
}

/** A refused login, explained as the API explains it (lockout with its delay, allow-list, credentials). */
function loginRefusal(err) {
  const box = h('div', { class: 'problem', role: 'alert', id: 'login-error' });
  if (err.status === 429) {
    return fill(box, t('login.locked'), ' ', err.detail || '');
  }
  if (err.status === 401) {
    return fill(box, t('login.refused'), ' ', err.detail || '');
  }
  if (err.status === 400) {
    return fill(box, t('login.invalid'), ' ', err.detail || '', err.errors.length ? ' (' + err.errors.join('; ') + ')' : '');
  }
  return problem(err);
}

function renderNav() {
  const nav = document.getElementById('nav');
  const current = route().view;
  fill(nav, VIEWS.filter((v) => can(v.role)).map((v) => h('a', {
    href: '#/' + v.id, id: 'nav-' + v.id, 'aria-current': v.id === current ? 'page' : null,
  }, t('nav.' + v.id))));
  const s = state.session;
  fill(document.getElementById('who'), `${s.username} @ ${s.tenant} (${t('role.' + s.role)})`);
}

function route() {
  const parts = (location.hash || '#/dashboard').replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return { view: parts[0] || 'dashboard', args: parts.slice(1) };
}

async function render() {
  if (!state.session) return;
  cleanup();
  const r = route();
  const entry = VIEWS.find((v) => v.id === r.view) || VIEWS[0];
  renderNav();
  const root = main();
  if (!can(entry.role)) {
    fill(root, h('h1', {}, t('nav.' + entry.id)),
      h('div', { class: 'problem', role: 'alert', id: 'not-permitted' }, t('error.role', t('role.' + entry.role))));
    return;
  }
  document.title = t('nav.' + entry.id) + ' — Kasoku';
  fill(root, loading());
  const ctx = {
    tenant: state.session.tenant,
    base: '/v1/tenants/' + encodeURIComponent(state.session.tenant),
    session: state.session,
    can,
    args: r.args,
    onCleanup: (fn) => state.cleanups.push(fn),
  };
  try {
    await entry.view.render(root, ctx);
  } catch (err) {
    fill(root, h('h1', {}, t('nav.' + entry.id)), problem(err));
  }
}

function startApp() {
  document.getElementById('top').hidden = false;
  render();
  main().focus();
}

async function logout() {
  try {
    await post('/v1/auth/logout', undefined, { quiet: true });
  } catch (err) {
    // already expired or revoked: the session is over either way
  }
  location.hash = '';
  showLogin(t('login.loggedOut'));
}

async function boot() {
  const select = document.getElementById('lang');
  select.value = lang();
  select.addEventListener('change', () => {
    setLang(select.value);
    applyStatic();
    if (state.session) render(); else showLogin();
  });
  applyStatic();
  document.getElementById('logout').addEventListener('click', logout);
  onUnauthorized(() => showLogin(t('login.expired')));
  window.addEventListener('hashchange', render);
  try {
    state.session = await get('/v1/auth/session', { quiet: true });
    startApp();
  } catch (err) {
    if (err.status === 401 || err.status === 400) showLogin();
    else fill(main(), problem(err));
  }
}

boot();
