// The tenant's notification feed: config changes, incidents, service changes.
import { h, fill, time } from '../dom.js';
import { t } from '../i18n.js';
import { get } from '../api.js';

export async function render(root, ctx) {
  const feed = await get(ctx.base + '/notifications');
  const items = feed.items || [];
  fill(root, h('h1', {}, t('nav.notifications')),
    items.length === 0 ? h('p', { id: 'notifications-none' }, t('notifications.none')) :
      h('table', { id: 'notifications-table' },
        h('thead', {}, h('tr', {}, ['notifications.ts', 'notifications.kind', 'notifications.message'].map((k) => h('th', {}, t(k))))),
        h('tbody', {}, items.map((n) => h('tr', {}, h('td', {}, time(n.ts)), h('td', {}, h('span', { class: 'badge' }, n.kind)), h('td', {}, n.message))))));
}
