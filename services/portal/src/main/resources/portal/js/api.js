// The API, same origin, authenticated by the HttpOnly session cookie (the page never sees the
// token). Calls that change something carry the anti-CSRF header, the value of the kasoku_csrf cookie.

export class ApiError extends Error {
  constructor(status, p) {
    super((p && (p.detail || p.title)) || `HTTP ${status}`);
    this.status = status;
    this.title = p && p.title;
    this.detail = p && p.detail;
    this.errors = (p && p.errors) || [];
    this.retryAfter = p && p.retryAfter;
  }
}

let unauthorized = () => {};
/** Called when a call answers 401 (the session ended): the app shows the login again. */
export function onUnauthorized(fn) {
  unauthorized = fn;
}

export function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)kasoku_csrf=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : '';
}

export async function call(method, path, body, opts) {
  const o = opts || {};
  const headers = { Accept: o.accept || 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-Kasoku-CSRF'] = csrfToken();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store', redirect: 'error',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, { title: 'network', detail: String(e) });
  }
  if (!res.ok) {
    let p = {};
    try { p = await res.json(); } catch (e) { p = { title: res.statusText }; }
    p.retryAfter = res.headers.get('Retry-After');
    const err = new ApiError(res.status, p);
    if (res.status === 401 && !o.quiet) unauthorized(err);
    throw err;
  }
  if (res.status === 204) return null;
  if (o.text) return res.text();
  return res.json();
}

export const get = (path, opts) => call('GET', path, undefined, opts);
export const post = (path, body, opts) => call('POST', path, body, opts);
export const put = (path, body, opts) => call('PUT', path, body, opts);
export const del = (path, opts) => call('DELETE', path, undefined, opts);

/** An NDJSON answer as objects (lines that do not parse are skipped). */
export async function ndjson(path) {
  const text = await get(path, { text: true, accept: 'application/x-ndjson' });
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try { out.push(JSON.parse(line)); } catch (e) { /* a partial last line */ }
  }
  return out;
}

export function q(params) {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v != null && v !== '') s.set(k, v);
  }
  const str = s.toString();
  return str ? '?' + str : '';
}
