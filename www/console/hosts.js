// SPDX-License-Identifier: GPL-2.0-or-later
// Fleet mode: the hosts that ship to the fleet's database, from their
// heartbeats; a host whose last one is older than stale_after_s is stale.
import { h, api, link, cell, badge, fmtTime, fmtNum, str, dash } from './core.js';

function addrs(a) {
	return Array.isArray(a) && a.length ? a.map(str).join(', ') : '\u2013';
}

function counter(c, key) {
	return c && typeof c === 'object' && typeof c[key] === 'number' ? fmtNum(c[key]) : '\u2013';
}

function hostRow(x) {
	const stale = x.stale === true;
	const c = x.counters || {};
	return h('tr', { tid: 'host-row', 'data-host-id': str(x.host_id), 'data-stale': stale ? 'true' : 'false',
		class: stale ? 'stale' : null },
	h('td', { title: str(x.name) }, link('events', { host: x.host_id, range: '7d' }, dash(x.name), { tid: 'host-events' })),
	cell(x.host_id, { class: 'mono' }),
	h('td', { tid: 'host-state' }, badge(stale ? 'stale' : 'live')),
	h('td', { class: 'nowrap', tid: 'host-last-seen', title: `${fmtNum(x.age_s)} s ago` }, fmtTime(x.last_seen)),
	cell(addrs(x.inner_addrs), { class: 'mono', tid: 'host-inner' }),
	cell(addrs(x.outer_addrs), { class: 'mono', tid: 'host-outer' }),
	cell(x.mode),
	cell(x.version),
	h('td', { class: 'num' }, fmtNum(x.containers)),
	h('td', { class: 'num' }, counter(c, 'events')),
	h('td', { class: 'num', title: 'the central lists\u2019 version this host applies' }, fmtNum(x.list_version)));
}

export async function hosts(ctx) {
	const a = await api('GET', '/api/hosts');
	const list = Array.isArray(a.hosts) ? a.hosts : [];
	const tb = h('tbody');
	for (const x of list)
		tb.append(hostRow(x));
	if (!list.length)
		tb.append(h('tr', null, h('td', { colspan: 11, class: 'empty' }, 'No host has shipped to this database yet.')));
	const stale = list.filter((x) => x.stale === true).length;
	ctx.main.append(
		h('div', { class: 'page-head' }, h('h1', null, 'Hosts'),
			h('span', { class: 'muted', tid: 'hosts-summary' },
				`${fmtNum(list.length)} host${list.length === 1 ? '' : 's'}, ${fmtNum(stale)} stale`)),
		h('table', { class: 'tbl', tid: 'hosts-table', id: 'hosts-table' },
			h('colgroup', null, ['name', 'id', 'state', 'seen', 'inner', 'outer', 'mode', 'ver', 'cont', 'ev', 'lv']
				.map((c) => h('col', { class: 'h-' + c }))),
			h('thead', null, h('tr', null, ['Name', 'Host id', 'State', 'Last seen', 'Inner addresses',
				'Outer addresses', 'Mode', 'Version', 'Containers', 'Events', 'Lists'].map((t) =>
				h('th', ['Containers', 'Events', 'Lists'].includes(t) ? { class: 'num' } : null, t)))),
			tb));
}
