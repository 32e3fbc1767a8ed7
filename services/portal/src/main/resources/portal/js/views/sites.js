// Sites: the list, one site's form and JSON editor (API errors shown at the field they name), its
// hostnames (with the certificate's coverage), its certificate (summary, expiry, upload), its
// versions with a diff between any two and restore. Viewers see everything read-only.
import { h, fill, field, problem, loading, time } from '../dom.js';
import { t } from '../i18n.js';
import { get, put, post } from '../api.js';
import { lineDiff, canonical } from '../diff.js';

export async function render(root, ctx) {
  if (ctx.args[0]) return renderSite(root, ctx, ctx.args[0]);
  const list = await get(ctx.base + '/sites');
  const items = list.items || [];
  fill(root,
    h('h1', {}, t('nav.sites')),
    ctx.can('editor') ? h('div', { class: 'toolbar' }, newSiteForm(ctx)) : null,
    items.length === 0 ? h('p', { id: 'no-sites' }, t('sites.none')) :
      h('table', { id: 'sites-table' },
        h('thead', {}, h('tr', {}, ['sites.id', 'sites.hostnames', 'sites.certExpires', 'sites.version', 'sites.author', 'sites.updated'].map((k) => h('th', {}, t(k))))),
        h('tbody', {}, items.map((s) => h('tr', {},
          h('td', {}, h('a', { href: '#/sites/' + encodeURIComponent(s.site), class: 'site-link' }, s.site)),
          h('td', { class: 'mono' }, (s.hostnames || []).join(', ')),
          h('td', { class: 'cert-expires' }, s.config && s.config.tls ? expiryBadge(s.config.tls.notAfter) : '—'),
          h('td', { class: 'num' }, String(s.version)),
          h('td', {}, s.author),
          h('td', {}, time(s.createdAt)))))));
}

function newSiteForm(ctx) {
  const id = h('input', { type: 'text', id: 'new-site-id', pattern: '[a-z0-9][a-z0-9-]{0,62}', required: true, autocapitalize: 'off' });
  const form = h('form', { class: 'toolbar', id: 'new-site' }, h('label', { for: id.id }, t('sites.newId')), id,
    h('button', { type: 'submit' }, t('sites.create')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = '#/sites/' + encodeURIComponent(id.value.trim()) + '/new';
  });
  return form;
}

/** Top-level config keys the form edits; the JSON editor edits every key. */
const FORM_KEYS = ['hostnames', 'origins', 'defaultTtl', 'staleWhileRevalidate', 'staleIfError', 'honorOriginCacheControl'];

async function renderSite(root, ctx, siteId) {
  const creating = ctx.args[1] === 'new';
  const path = ctx.base + '/sites/' + encodeURIComponent(siteId);
  let current = null;
  let history = { items: [] };
  if (!creating) {
    [current, history] = await Promise.all([get(path), get(path + '/versions')]);
  }
  const config = current ? { ...current.config } : { hostnames: [], origins: [{ url: 'https://' }], defaultTtl: '60s' };
  const tls = config.tls;
  delete config.tls;
  // a PUT replaces the whole config, and the stored private key is never returned: a site with a
  // certificate cannot be saved from here without dropping it, so it is read-only (tlsNote says why)
  const editable = ctx.can('editor') && !tls;

  const hostnames = field(t('sites.hostnames'), h('textarea', { id: 'site-hostnames', rows: 3 }), t('sites.onePerLine'));
  const origins = field(t('sites.origins'), h('textarea', { id: 'site-origins', rows: 2 }), t('sites.onePerLine'));
  const ttl = field(t('sites.defaultTtl'), h('input', { type: 'text', id: 'site-defaultTtl' }), t('sites.durationHint'));
  const swr = field(t('sites.swr'), h('input', { type: 'text', id: 'site-staleWhileRevalidate' }));
  const sie = field(t('sites.sie'), h('input', { type: 'text', id: 'site-staleIfError' }));
  const honor = field(t('sites.honor'), h('input', { type: 'checkbox', id: 'site-honorOriginCacheControl' }));
  const fields = { hostnames, origins, defaultTtl: ttl, staleWhileRevalidate: swr, staleIfError: sie, honorOriginCacheControl: honor };
  const json = h('textarea', { class: 'json', id: 'site-json', spellcheck: 'false', 'aria-describedby': 'site-json-err' });
  const jsonErr = h('div', { class: 'field-error', id: 'site-json-err', 'aria-live': 'polite' });
  const general = h('div', { id: 'site-errors', 'aria-live': 'assertive' });

  function toForm(cfg) {
    hostnames.input.value = (cfg.hostnames || []).join('\n');
    origins.input.value = (cfg.origins || []).map((o) => o.url).join('\n');
    ttl.input.value = cfg.defaultTtl || '';
    swr.input.value = cfg.staleWhileRevalidate || '';
    sie.input.value = cfg.staleIfError || '';
    honor.input.checked = cfg.honorOriginCacheControl === true;
    json.value = JSON.stringify(cfg, null, 2);
  }

  function fromForm(base) {
    const cfg = { ...base };
    const lines = (s) => s.split(/[\n,]/).map((x) => x.trim()).filter(Boolean);
    cfg.hostnames = lines(hostnames.input.value);
    const before = base.origins || [];
    cfg.origins = lines(origins.input.value).map((url, i) => ({ ...(before[i] || {}), url }));
    for (const [k, f] of [['defaultTtl', ttl], ['staleWhileRevalidate', swr], ['staleIfError', sie]]) {
      if (f.input.value.trim()) cfg[k] = f.input.value.trim(); else delete cfg[k];
    }
    if (honor.input.checked) cfg.honorOriginCacheControl = true; else if ('honorOriginCacheControl' in base) cfg.honorOriginCacheControl = false;
    return cfg;
  }

  function clearErrors() {
    Object.values(fields).forEach((f) => fill(f.error));
    fill(jsonErr);
    fill(general);
  }

  /** Puts each API error at the field it names ("origins[0].url: ..." → the origins field). */
  function showErrors(err) {
    const rest = [];
    for (const e of err.errors || []) {
      const m = /^\/?([A-Za-z]+)/.exec(String(e));
      const key = m && m[1];
      if (key && fields[key]) fields[key].error.append(h('div', { class: 'api-error', 'data-field': key }, e));
      else if (key && key in fromForm(config)) jsonErr.append(h('div', { class: 'api-error', 'data-field': key }, e));
      else rest.push(e);
    }
    fill(general, problem({ status: err.status, title: err.title, detail: err.detail, errors: rest }));
    const first = root.querySelector('.api-error');
    if (first) first.closest('.row, .card').querySelector('input, textarea')?.focus();
  }

  async function save(cfg, button) {
    clearErrors();
    button.disabled = true;
    try {
      const v = await put(path, cfg);
      if (creating) {
        location.hash = '#/sites/' + encodeURIComponent(siteId);
        return;
      }
      await renderSite(root, { ...ctx, args: [siteId] }, siteId);
      root.querySelector('#site-saved')?.replaceChildren(t('sites.saved', v.version));
    } catch (err) {
      showErrors(err);
    } finally {
      button.disabled = false;
    }
  }

  toForm(config);
  const saveForm = h('button', { type: 'submit', class: 'primary', id: 'site-save' }, t('sites.save'));
  const form = h('form', { class: 'card', id: 'site-form', 'aria-labelledby': 'site-form-title' },
    h('h2', { id: 'site-form-title' }, t('sites.common')),
    FORM_KEYS.map((k) => fields[k].row), editable ? saveForm : null);
  form.addEventListener('submit', (ev) => { ev.preventDefault(); save(fromForm(config), saveForm); });

  const saveJson = h('button', { type: 'button', id: 'site-json-save' }, t('sites.saveJson'));
  saveJson.addEventListener('click', () => {
    let cfg;
    try {
      cfg = JSON.parse(json.value);
    } catch (e) {
      clearErrors();
      fill(jsonErr, t('sites.badJson'), ' ', e.message);
      json.focus();
      return;
    }
    save(cfg, saveJson);
  });
  const jsonCard = h('div', { class: 'card' }, h('h2', {}, h('label', { for: json.id }, t('sites.json'))), json, jsonErr,
    editable ? h('div', { class: 'toolbar' }, saveJson) : null);

  const versions = h('table', { id: 'versions-table' },
    h('thead', {}, h('tr', {}, ['sites.version', 'sites.author', 'sites.updated', 'sites.hostnames', ''].map((k) => h('th', {}, k ? t(k) : '')))),
    h('tbody', {}, [...(history.items || [])].reverse().map((v) => {
      const cell = h('td', {});
      if (v.version === history.current) cell.append(h('span', { class: 'badge ok' }, t('sites.current')));
      else if (editable) {
        const b = h('button', { type: 'button', class: 'restore', 'data-version': String(v.version) }, t('sites.restore', v.version));
        b.addEventListener('click', async () => {
          b.disabled = true;
          try {
            await post(path + '/versions/' + v.version + '/restore');
            await renderSite(root, { ...ctx, args: [siteId] }, siteId);
          } catch (err) {
            fill(general, problem(err));
            b.disabled = false;
          }
        });
        cell.append(b);
      }
      return h('tr', {}, h('td', { class: 'num' }, String(v.version)), h('td', {}, v.author), h('td', {}, time(v.createdAt)),
        h('td', { class: 'mono' }, (v.hostnames || []).join(', ')), cell);
    })));

  const hostnamesCard = current ? hostnamesPanel(current, tls, editable, async (names, button) => {
    const cfg = { ...config, hostnames: names };
    await save(cfg, button);
  }) : null;
  const certCard = current ? certificatePanel(tls, ctx.can('editor'), async (pems, button) => {
    await save({ ...config, tls: pems }, button);
  }) : null;
  const diffCard = current && (history.items || []).length > 1 ? diffPanel(history) : null;

  fill(root,
    h('p', {}, h('a', { href: '#/sites' }, '← ' + t('nav.sites'))),
    h('h1', { id: 'site-title' }, t('sites.site'), ' ', h('span', { class: 'mono' }, siteId)),
    current ? h('p', { class: 'muted' }, t('sites.currentVersion', current.version), ' · ', current.author, ' · ', time(current.createdAt)) : h('p', { class: 'muted' }, t('sites.creating')),
    h('p', { id: 'site-saved', class: 'okmsg', 'aria-live': 'polite' }),
    ctx.can('editor') ? null : h('div', { class: 'notice', id: 'read-only' }, t('sites.readOnly')),
    tls && ctx.can('editor') ? h('p', { class: 'notice', id: 'tls-note' }, t('sites.certReplaceNote')) : null,
    general,
    current ? h('div', { class: 'cols' }, hostnamesCard, certCard) : null,
    h('div', { class: 'cols' }, form, jsonCard),
    current ? h('h2', {}, t('sites.versions')) : null,
    current ? versions : null,
    diffCard);
  if (!editable) {
    [form, jsonCard].forEach((c) => c.querySelectorAll('input, textarea').forEach((x) => { x.readOnly = true; x.disabled = x.type === 'checkbox'; }));
  }
}

/** Whether a certificate name (possibly *.example.com) covers a hostname. */
function covers(name, host) {
  const n = String(name).toLowerCase();
  if (n.startsWith('*.')) {
    const rest = n.slice(1);
    return host.endsWith(rest) && host.indexOf('.') === host.length - rest.length;
  }
  return n === host;
}

/** The site's hostnames, each with whether the certificate covers it; editors add and remove them. */
function hostnamesPanel(current, tls, editable, saveNames) {
  const names = current.config.hostnames || current.hostnames || [];
  const sans = (tls && tls.subjectAltNames) || [];
  const out = h('div', { 'aria-live': 'polite' });
  const rows = names.map((host) => {
    const ok = sans.some((n) => covers(n, host));
    const cell = h('td', {});
    if (editable && names.length > 1) {
      const b = h('button', { type: 'button', class: 'danger remove-hostname', 'data-host': host, 'aria-label': t('sites.removeHostname', host) }, '×');
      b.addEventListener('click', () => saveNames(names.filter((x) => x !== host), b));
      cell.append(b);
    }
    return h('tr', {}, h('td', { class: 'mono hostname' }, host),
      tls ? h('td', {}, h('span', { class: ok ? 'badge ok' : 'badge bad' }, t(ok ? 'sites.covered' : 'sites.notCovered'))) : null,
      cell);
  });
  const card = h('div', { class: 'card', id: 'site-hostnames-card' }, h('h2', {}, t('sites.hostnamesCard')),
    h('table', { id: 'hostnames-table' }, h('tbody', {}, rows)), out);
  if (editable) {
    const input = h('input', { type: 'text', id: 'new-hostname', autocapitalize: 'off', spellcheck: 'false' });
    const add = h('button', { type: 'submit', id: 'add-hostname' }, t('sites.addHostname'));
    const form = h('form', { class: 'toolbar', id: 'hostname-form' }, h('label', { for: input.id }, t('sites.newHostname')), input, add);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const host = input.value.trim();
      if (host) saveNames([...names, host], add);
    });
    card.append(form);
  }
  return card;
}

function daysUntil(iso) {
  return Math.floor((Date.parse(iso) - Date.now()) / 86400000);
}

/** The expiry time with how many days are left, red under 30 days or once expired. */
function expiryBadge(notAfter) {
  const days = daysUntil(notAfter);
  return h('span', {}, time(notAfter), ' ',
    h('span', { class: days < 30 ? 'badge bad' : 'badge ok' }, days < 0 ? t('sites.expired') : t('sites.expiresIn', days)));
}

/** The certificate's summary with its expiry, and (editors) the upload of a new certificate and key. */
function certificatePanel(tls, canEdit, upload) {
  const card = h('div', { class: 'card', id: 'site-cert' }, h('h2', {}, t('sites.certificate')));
  if (tls) {
    const days = daysUntil(tls.notAfter);
    card.append(h('dl', { class: 'facts', id: 'cert-summary' },
      h('dt', {}, t('sites.subject')), h('dd', { class: 'mono' }, tls.subject),
      h('dt', {}, t('sites.issuer')), h('dd', { class: 'mono' }, tls.issuer),
      h('dt', {}, t('sites.sans')), h('dd', { class: 'mono' }, (tls.subjectAltNames || []).join(', ')),
      h('dt', {}, t('sites.validFrom')), h('dd', {}, time(tls.notBefore)),
      h('dt', {}, t('sites.expiresLabel')), h('dd', { id: 'cert-expiry', 'data-days': String(days) }, expiryBadge(tls.notAfter)),
      h('dt', {}, t('sites.fingerprint')), h('dd', { class: 'mono' }, tls.sha256)));
  } else {
    card.append(h('p', { class: 'muted', id: 'no-cert' }, t('sites.noCert')));
  }
  if (!canEdit) return card;
  const cert = field(t('sites.certPem'), h('textarea', { id: 'cert-pem', rows: 4, spellcheck: 'false' }));
  const key = field(t('sites.keyPem'), h('textarea', { id: 'key-pem', rows: 4, spellcheck: 'false', autocomplete: 'off' }), t('sites.certHint'));
  const submit = h('button', { type: 'submit', id: 'cert-upload' }, t('sites.uploadCert'));
  const form = h('form', { id: 'cert-form', 'aria-labelledby': 'cert-form-title' }, h('h3', { id: 'cert-form-title' }, t('sites.certUpload')),
    cert.row, key.row, submit);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    upload({ certificatePem: cert.input.value.trim() + '\n', privateKeyPem: key.input.value.trim() + '\n' }, submit);
  });
  card.append(form);
  return card;
}

/** Two versions side by side as a line diff of their configs (keys sorted, so order is no change). */
function diffPanel(history) {
  const items = history.items || [];
  const opts = (sel) => items.map((v) => h('option', { value: String(v.version), selected: v.version === sel ? true : null }, String(v.version)));
  const from = h('select', { id: 'diff-from' }, opts(items[items.length - 2].version));
  const to = h('select', { id: 'diff-to' }, opts(items[items.length - 1].version));
  const out = h('div', { id: 'diff-out', 'aria-live': 'polite' });
  const show = () => {
    const a = items.find((v) => String(v.version) === from.value);
    const b = items.find((v) => String(v.version) === to.value);
    const lines = lineDiff(canonical(a.config), canonical(b.config));
    const removed = lines.filter((l) => l.op === '-').length;
    const added = lines.filter((l) => l.op === '+').length;
    if (!removed && !added) { fill(out, h('p', { id: 'diff-same' }, t('sites.diffSame'))); return; }
    fill(out, h('p', { class: 'muted', id: 'diff-summary' }, t('sites.diffSummary', removed, added)),
      h('pre', { class: 'diff', id: 'diff-lines' }, lines.map((l) => h('span', { class: l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'same' },
        (l.op === ' ' ? '  ' : l.op + ' ') + l.text + '\n'))));
  };
  const button = h('button', { type: 'button', id: 'diff-show' }, t('sites.diffShow'));
  button.addEventListener('click', show);
  from.addEventListener('change', show);
  to.addEventListener('change', show);
  const card = h('div', { class: 'card', id: 'site-diff' }, h('h2', {}, t('sites.diff')),
    h('div', { class: 'toolbar' }, h('label', { for: from.id }, t('sites.diffFrom')), from,
      h('label', { for: to.id }, t('sites.diffTo')), to, button), out);
  show();
  return card;
}
