// Traffic and cache effect: tiles summing the range, charts per step, the top sites and the month's
// usage per site.
import uPlot from '../../vendor/uplot/uPlot.esm.js';
import { h, fill, num, pct, bytes, bits, problem, loading, time } from '../dom.js';
import { t } from '../i18n.js';
import { get, q } from '../api.js';

/** Range → the step the stats API answers it at (its default range for that step is the range). */
const RANGES = [
  { id: 'live', step: '1s', seconds: 1 },
  { id: '1h', step: '1m', seconds: 60 },
  { id: '24h', step: '5m', seconds: 300 },
  { id: '7d', step: '1h', seconds: 3600 },
  { id: '30d', step: '1d', seconds: 86400 },
];

const sum = (a) => (a || []).reduce((s, v) => s + (v == null ? 0 : v), 0);
const last = (a) => { for (let i = (a || []).length - 1; i >= 0; i -= 1) if (a[i] != null) return a[i]; return null; };

export async function render(root, ctx) {
  let range = RANGES[1];
  let site = '';
  let timer = null;
  const plots = [];
  ctx.onCleanup(() => { if (timer) clearInterval(timer); plots.forEach((p) => p.destroy()); });

  const buttons = RANGES.map((r) => h('button', { type: 'button', id: 'range-' + r.id, 'aria-pressed': String(r === range) }, t('range.' + r.id)));
  const siteSelect = h('select', { id: 'dash-site' }, h('option', { value: '' }, t('dash.allSites')));
  const status = h('div', { id: 'dash-status', 'aria-live': 'polite' });
  const tiles = h('div', { class: 'tiles', id: 'tiles' });
  const charts = h('div', { class: 'charts', id: 'charts' });
  const usage = h('div', { id: 'usage' }, loading());
  const top = h('div', { id: 'top-sites' }, loading());
  fill(root,
    h('h1', {}, t('nav.dashboard')),
    h('div', { class: 'toolbar', role: 'group', 'aria-label': t('dash.range') }, h('span', {}, t('dash.range')), buttons,
      h('label', { for: siteSelect.id }, t('dash.site')), siteSelect),
    status, tiles, charts,
    h('div', { class: 'cols' },
      h('div', {}, h('h2', {}, t('dash.topSites')), top),
      h('div', {}, h('h2', {}, t('dash.usage')), usage)));

  get(ctx.base + '/sites').then((list) => {
    for (const s of list.items || []) siteSelect.append(h('option', { value: s.site }, s.site));
  }).catch(() => {});

  async function load(quiet) {
    if (!quiet) fill(status, loading());
    let data;
    try {
      data = await get(ctx.base + '/stats' + q({ step: range.step, site }));
    } catch (err) {
      fill(status, problem(err));
      return;
    }
    fill(status, h('span', { class: 'muted' }, t('dash.window'), ' ', time(data.from), ' – ', time(data.to),
      range.id === 'live' ? ' · ' + t('dash.liveNote') : ''));
    draw(data);
  }

  function tile(id, label, value, raw) {
    return h('div', { class: 'tile', id: 'tile-' + id, 'data-value': raw == null ? '' : String(raw) },
      h('div', { class: 'label' }, label), h('div', { class: 'value' }, value));
  }

  function draw(data) {
    const s = data.series;
    const req = sum(s.requests);
    const by = sum(s.bytes);
    const hits = sum(s.hits) + sum(s.stale);
    const span = (s.requests || []).length * range.seconds;
    const hitRatio = req ? hits / req : null;
    const offload = by ? 1 - sum(s.originBytes) / by : null;
    fill(tiles,
      tile('requests', t('dash.requests'), num(req), req),
      tile('rps', t('dash.rps'), rate(span ? req / span : 0), span ? req / span : 0),
      tile('bytes', t('dash.bytes'), bytes(by), by),
      tile('hit-ratio', t('dash.hitRatio'), pct(hitRatio), hitRatio),
      tile('offload', t('dash.offload'), pct(offload), offload),
      tile('origin-requests', t('dash.originRequests'), num(sum(s.originRequests)), sum(s.originRequests)),
      ['2xx', '3xx', '4xx', '5xx'].map((c) => tile('status' + c, t('dash.status', c), num(sum(s['status' + c])), sum(s['status' + c]))),
      tile('p50', t('dash.latency', 'p50'), fmtMs(last(s.edgeP50Ms)), last(s.edgeP50Ms)),
      tile('p95', t('dash.latency', 'p95'), fmtMs(last(s.edgeP95Ms)), last(s.edgeP95Ms)),
      tile('p99', t('dash.latency', 'p99'), fmtMs(last(s.edgeP99Ms)), last(s.edgeP99Ms)));
    const from = Date.parse(data.from) / 1000;
    const xs = (s.requests || []).map((_, i) => from + i * range.seconds);
    const per = (a, f) => (a || []).map((v) => (v == null ? null : f(v)));
    const specs = [
      { id: 'chart-rps', title: t('dash.rps'), series: [[t('dash.requests'), per(s.requests, (v) => v / range.seconds), '#1f4e9c']], fmt: rate },
      { id: 'chart-bandwidth', title: t('dash.bandwidth'), series: [[t('dash.toClients'), per(s.bytes, (v) => (v * 8) / range.seconds), '#1f4e9c'], [t('dash.fromOrigin'), per(s.originBytes, (v) => (v * 8) / range.seconds), '#d97706']], fmt: bits },
      { id: 'chart-cache', title: t('dash.cacheEffect'), series: [[t('dash.hitRatio'), per(s.hitRatio, (v) => v * 100), '#137333'], [t('dash.offload'), per(s.originOffload, (v) => v * 100), '#7c3aed']], fmt: (v) => num(v, 1) + ' %' },
      { id: 'chart-status', title: t('dash.statusClasses'), series: ['2xx', '3xx', '4xx', '5xx'].map((c, i) => [c, s['status' + c] || [], ['#137333', '#1f4e9c', '#d97706', '#b42318'][i]]), fmt: (v) => num(v) },
      { id: 'chart-latency', title: t('dash.latencyChart'), series: [['p50', s.edgeP50Ms, '#137333'], ['p95', s.edgeP95Ms, '#d97706'], ['p99', s.edgeP99Ms, '#b42318'], [t('dash.originP95'), s.originP95Ms, '#7c3aed']], fmt: fmtMs },
    ];
    if (plots.length === specs.length) {
      specs.forEach((sp, i) => plots[i].setData([xs, ...sp.series.map((x) => x[1] || [])]));
      return;
    }
    plots.forEach((p) => p.destroy());
    plots.length = 0;
    fill(charts);
    for (const sp of specs) {
      const box = h('figure', { class: 'chart', id: sp.id, 'aria-label': sp.title }, h('h3', {}, sp.title));
      charts.append(box);
      const width = Math.max(320, (box.clientWidth || 520) - 16);
      plots.push(new uPlot({
        width, height: 200,
        series: [{ label: t('logs.ts') }, ...sp.series.map(([label, , color]) => ({ label, stroke: color, width: 1.5, spanGaps: false, points: { show: true, size: 5, fill: color }, value: (u, v) => (v == null ? '—' : sp.fmt(v)) }))],
        axes: [{}, { values: (u, vals) => vals.map((v) => sp.fmt(v)), size: 70 }],
        scales: { x: { time: true } },
        legend: { live: true },
      }, [xs, ...sp.series.map((x) => x[1] || [])], box));
    }
  }

  /** A rate: small ones with three significant digits (10 requests in an hour are not "0"). */
  function rate(v) {
    return v > 0 && v < 10 ? new Intl.NumberFormat(undefined, { maximumSignificantDigits: 3 }).format(v) : num(v, 1);
  }

  function fmtMs(v) {
    return v == null ? '—' : num(v, 1) + ' ms';
  }

  function select(r) {
    range = r;
    buttons.forEach((b, i) => b.setAttribute('aria-pressed', String(RANGES[i] === r)));
    if (timer) { clearInterval(timer); timer = null; }
    plots.forEach((p) => p.destroy());
    plots.length = 0;
    load(false);
    if (r.id === 'live') timer = setInterval(() => load(true), 1000);
  }
  buttons.forEach((b, i) => b.addEventListener('click', () => select(RANGES[i])));
  siteSelect.addEventListener('change', () => { site = siteSelect.value; select(range); });

  await load(false);
  try {
    const u = await get(ctx.base + '/usage');
    const row = (x, total) => h('tr', {},
      h('td', {}, total ? t('dash.total') : x.site),
      h('td', { class: 'num' }, num(x.requests)), h('td', { class: 'num' }, bytes(x.bytes)),
      h('td', { class: 'num' }, bytes(x.originBytes)));
    fill(usage, h('p', { class: 'muted' }, t('dash.month', u.month)),
      h('table', { id: 'usage-table' },
        h('thead', {}, h('tr', {}, h('th', {}, t('dash.site')), h('th', { class: 'num' }, t('dash.requests')),
          h('th', { class: 'num' }, t('dash.bytes')), h('th', { class: 'num' }, t('dash.originBytes')))),
        h('tbody', {}, (u.sites || []).map((x) => row(x, false)), row(u.total, true))));
    fill(top, topSites(u));
  } catch (err) {
    fill(usage, problem(err));
    fill(top);
  }
}

/** The month's five busiest sites by requests, with their share of the tenant's requests as a bar. */
function topSites(u) {
  const total = (u.total && u.total.requests) || 0;
  const sites = [...(u.sites || [])].sort((a, b) => (b.requests || 0) - (a.requests || 0)).slice(0, 5);
  if (!sites.length || !total) return h('p', { class: 'muted', id: 'top-none' }, t('dash.noTraffic'));
  return h('table', { id: 'top-sites-table' },
    h('thead', {}, h('tr', {}, h('th', {}, t('dash.site')), h('th', { class: 'num' }, t('dash.requests')),
      h('th', { class: 'num' }, t('dash.bytes')), h('th', {}, t('dash.share')))),
    h('tbody', {}, sites.map((x) => {
      const share = (x.requests || 0) / total;
      const bar = h('span', { class: 'bar', 'aria-hidden': 'true' });
      bar.style.width = Math.max(2, Math.round(share * 120)) + 'px';
      return h('tr', { class: 'top-site', 'data-site': x.site },
        h('td', {}, h('a', { href: '#/sites/' + encodeURIComponent(x.site) }, x.site)),
        h('td', { class: 'num' }, num(x.requests)), h('td', { class: 'num' }, bytes(x.bytes)),
        h('td', {}, bar, ' ', pct(share)));
    })));
}
