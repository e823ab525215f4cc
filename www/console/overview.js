// SPDX-License-Identifier: GPL-2.0-or-later
// Overview: the tiles, the 7-day trend by category (an SVG drawn here),
// the top domains and containers.
import { h, svg, api, link, route, fmtNum, section, str, dash, catClass } from './core.js';

function tile(key, label, value, href, hint) {
	return h('a', { class: 'tile', href, tid: 'tile-' + key, 'data-value': typeof value === 'number' ? String(value) : '' },
		h('span', { class: 'tile-num', tid: 'tile-' + key + '-num' }, fmtNum(value)),
		h('span', { class: 'tile-label' }, label),
		hint ? h('span', { class: 'tile-hint' }, hint) : null);
}

// A step of 1, 2 or 5 times a power of ten, four of which reach v.
function niceStep(v) {
	const raw = Math.max(v / 4, 1);
	const p = Math.pow(10, Math.floor(Math.log10(raw)));
	for (const m of [1, 2, 5, 10])
		if (m * p >= raw)
			return m * p;
	return 10 * p;
}

const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function dayLabel(day) {
	const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(str(day));
	if (!m)
		return [str(day), ''];
	const d = new Date(+m[1], +m[2] - 1, +m[3]);
	return [`${m[2]}-${m[3]}`, WEEKDAY[d.getDay()]];
}

// Stacked bars per day; every category a class (its colour is CSS).
export function trendChart(days) {
	const cats = new Map();
	for (const d of days)
		for (const [c, n] of Object.entries(d.categories || {}))
			cats.set(c, (cats.get(c) || 0) + (Number(n) || 0));
	const order = [...cats.keys()].sort((a, b) => cats.get(b) - cats.get(a) || a.localeCompare(b));
	const totals = days.map((d) => Number(d.total) || 0);
	const step = niceStep(Math.max(0, ...totals)), max = step * 4;
	const W = 760, H = 240, L = 44, R = 10, T = 16, B = 40;
	const pw = W - L - R, ph = H - T - B;
	const slot = pw / Math.max(days.length, 1), bw = Math.min(64, slot * 0.6);
	const g = svg('svg', {
		viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', tid: 'trend-chart',
		'aria-label': 'Events per day over the last 7 days, by category',
		preserveAspectRatio: 'xMidYMid meet',
	});
	for (let i = 0; i <= 4; i++) {
		const v = step * i, y = T + ph - (ph * v) / max;
		g.append(svg('line', { x1: L, x2: W - R, y1: y, y2: y, class: i ? 'grid' : 'axis' }));
		g.append(svg('text', { x: L - 6, y: y + 4, class: 'tick', 'text-anchor': 'end' },
			String(v)));
	}
	days.forEach((d, i) => {
		const x = L + slot * i + (slot - bw) / 2;
		const bar = svg('g', { class: 'bar', tid: 'trend-bar', 'data-day': str(d.day), 'data-total': String(totals[i]) });
		let y = T + ph;
		const parts = d.categories || {};
		const known = order.filter((c) => Number(parts[c]) > 0);
		let rest = totals[i] - known.reduce((s, c) => s + Number(parts[c]), 0);
		for (const c of known.concat(rest > 0 ? ['(other)'] : [])) {
			const n = c === '(other)' ? rest : Number(parts[c]);
			const hgt = (ph * n) / max;
			y -= hgt;
			bar.append(svg('rect', { x, y, width: bw, height: Math.max(hgt, 0.5), class: 'seg ' + catClass(c) },
				svg('title', null, `${str(d.day)}: ${c} ${n}`)));
		}
		if (totals[i] > 0)
			bar.append(svg('text', { x: x + bw / 2, y: y - 4, class: 'barnum', 'text-anchor': 'middle' }, String(totals[i])));
		const [md, wd] = dayLabel(d.day);
		bar.append(svg('text', { x: x + bw / 2, y: H - B + 16, class: 'tick', 'text-anchor': 'middle' }, md));
		bar.append(svg('text', { x: x + bw / 2, y: H - B + 30, class: 'tick muted', 'text-anchor': 'middle' }, wd));
		g.append(bar);
	});
	if (!totals.some((n) => n > 0))
		g.append(svg('text', { x: L + pw / 2, y: T + ph / 2, class: 'empty', 'text-anchor': 'middle' },
			days.length ? 'No events in the last 7 days' : 'egressd sent no daily counts'));
	const legend = h('ul', { class: 'legend', tid: 'trend-legend' });
	for (const c of order)
		legend.append(h('li', null, h('span', { class: 'swatch ' + catClass(c) }), c, h('span', { class: 'muted' }, ` ${fmtNum(cats.get(c))}`)));
	return h('div', { class: 'chart-wrap' }, g, legend);
}

function topTable(tid, head, rows) {
	const tb = h('tbody');
	for (const r of rows)
		tb.append(r);
	if (!rows.length)
		tb.append(h('tr', null, h('td', { colspan: 2, class: 'empty' }, 'None')));
	return h('table', { class: 'tbl compact', tid },
		h('thead', null, h('tr', null, h('th', null, head), h('th', { class: 'num' }, 'Events'))), tb);
}

export async function overview(ctx) {
	const a = await api('GET', '/api/overview');
	const o = a.overview || {};
	const tiles = h('div', { class: 'tiles', tid: 'tiles' },
		tile('pending', 'Pending events', o.pending, route('events', { status: 'pending', range: 'all' }), 'to handle'),
		tile('containers', 'Affected containers', o.containers, route('containers'), 'with pending events'),
		tile('events7d', 'Events in 7 days', o.events_7d, route('events', { range: '7d' })),
		tile('blocked7d', 'Blocked in 7 days', o.blocked_7d, route('events', { range: '7d' })));
	const days = Array.isArray(o.days) ? o.days : [];
	const domains = (o.top_domains || []).map((d) =>
		h('tr', { 'data-domain': str(d.domain) },
			h('td', { title: str(d.domain) }, link('events', { domain: d.domain, range: '7d' }, dash(d.domain), { tid: 'top-domain' })),
			h('td', { class: 'num' }, fmtNum(d.count))));
	const conts = (o.top_containers || []).map((c) =>
		h('tr', { 'data-container-id': str(c.container_id) },
			h('td', { title: str(c.container_id) },
				link('events', { container: c.container_id, range: '7d' }, dash(c.container_name || c.container_id), { tid: 'top-container' })),
			h('td', { class: 'num' }, fmtNum(c.count))));
	ctx.main.append(
		h('h1', null, 'Overview'),
		tiles,
		h('div', { class: 'grid-2-1' },
			section('Events per day, last 7 days', { tid: 'trend' }, trendChart(days)),
			h('div', { class: 'stack' },
				section('Top domains', null, topTable('top-domains', 'Domain or address', domains)),
				section('Top containers', null, topTable('top-containers', 'Container', conts)))));
}
