// SPDX-License-Identifier: GPL-2.0-or-later
// Events: the list (range, filters, sorting, paging, bulk handling) and
// one event in full with its handling (whitelist, handled, ignore,
// isolate, delete).
import {
	h, api, query, route, link, cell, badge, button, section, facts, fmtTime,
	fmtNum, toLocalInput, fromLocalInput, showMsg, showError, showResults,
	confirmDialog, str, dash, shortId, catClass, session,
} from './core.js';

const PAGE = 50;
const RANGES = [['24h', '24 h', 86400], ['7d', '7 days', 7 * 86400],
	['30d', '30 days', 30 * 86400], ['all', 'All', 0]];
const FILTERS = ['status', 'container', 'image', 'host', 'domain'];
// Columns the API sorts by, and their first direction.
const SORTS = { last_seen: '-', first_seen: '-', count: '-', domain: '', container: '' };

// The range asked for, as Unix seconds [from, to].
export function rangeOf(p, now) {
	if (p.get('range') === 'custom') {
		const f = Number(p.get('from')), t = Number(p.get('to'));
		return [isFinite(f) ? f : now - 7 * 86400, isFinite(t) && p.get('to') ? t : now];
	}
	// "at": the clock of a look being paged through (its pages must not
	// move with the clock).
	const at = Number(p.get('at'));
	if (at > 0)
		now = at;
	const r = RANGES.find((x) => x[0] === (p.get('range') || '7d')) || RANGES[1];
	return [r[2] ? now - r[2] : 0, now];
}

function go(p) {
	location.hash = route('events', Object.fromEntries(p));
}

function sortHeader(p, key, label, cls) {
	const cur = p.get('sort') || '-last_seen';
	const on = cur.replace(/^-/, '') === key;
	const desc = cur.startsWith('-');
	const th = h('th', { class: (cls || '') + ' sortable' + (on ? ' sorted' : ''), tid: 'sort-' + key,
		'aria-sort': on ? (desc ? 'descending' : 'ascending') : 'none', scope: 'col' });
	const a = h('a', { href: '#', role: 'button' }, label, on ? (desc ? ' \u25bc' : ' \u25b2') : '');
	// The whole header cell sorts (the link inside gives the keyboard a stop).
	th.addEventListener('click', (ev) => {
		ev.preventDefault();
		const q = new URLSearchParams(p);
		q.set('sort', on ? (desc ? key : '-' + key) : SORTS[key] + key);
		q.delete('offset');
		q.delete('at');
		go(q);
	});
	th.append(a);
	return th;
}

function rangeBar(p, from, to) {
	const cur = p.get('range') || '7d';
	const bar = h('div', { class: 'rangebar', role: 'group', 'aria-label': 'Time range' });
	for (const [key, label] of RANGES) {
		const b = h('button', { type: 'button', class: 'btn seg' + (cur === key ? ' active' : ''),
			tid: 'range-' + key, 'aria-pressed': cur === key ? 'true' : 'false' }, label);
		b.addEventListener('click', () => {
			const q = new URLSearchParams(p);
			q.set('range', key);
			q.delete('from');
			q.delete('to');
			q.delete('offset');
			q.delete('at');
			go(q);
		});
		bar.append(b);
	}
	const fromIn = h('input', { type: 'datetime-local', id: 'ev-from', tid: 'ev-from', value: from ? toLocalInput(from) : '' });
	const toIn = h('input', { type: 'datetime-local', id: 'ev-to', tid: 'ev-to', value: toLocalInput(to) });
	const custom = h('button', { type: 'button', class: 'btn seg' + (cur === 'custom' ? ' active' : ''),
		tid: 'range-custom', 'aria-pressed': cur === 'custom' ? 'true' : 'false' }, 'Custom');
	custom.addEventListener('click', () => fromIn.focus());
	bar.append(custom,
		h('label', { class: 'inl', for: 'ev-from' }, 'From'), fromIn,
		h('label', { class: 'inl', for: 'ev-to' }, 'to'), toIn);
	// Editing either time makes the range custom when applied.
	const mark = () => { bar.dataset.custom = '1'; };
	fromIn.addEventListener('change', mark);
	toIn.addEventListener('change', mark);
	return { bar, fromIn, toIn };
}

// Fleet mode: the host filter picks one of the hosts (by host id).
function hostSelect(p, hostList) {
	const cur = p.get('host') || '';
	const opts = [h('option', { value: '', selected: !cur }, 'any host')];
	for (const x of hostList)
		opts.push(h('option', { value: str(x.host_id), selected: cur === str(x.host_id) },
			str(x.name || x.host_id) + (x.stale === true ? ' (stale)' : '')));
	if (cur && !hostList.some((x) => str(x.host_id) === cur))
		opts.push(h('option', { value: cur, selected: true }, cur));
	return h('select', { id: 'ev-host', tid: 'ev-host', name: 'host' }, opts);
}

function filterForm(p, range, hostList) {
	const inputs = {};
	const form = h('form', { class: 'filters', tid: 'ev-filters', id: 'ev-filters' });
	const status = h('select', { id: 'ev-status', tid: 'ev-status', name: 'status' },
		['', 'pending', 'handled', 'ignored', 'whitelisted'].map((s) =>
			h('option', { value: s, selected: (p.get('status') || '') === s }, s || 'any status')));
	inputs.status = status;
	form.append(h('label', { class: 'sr', for: 'ev-status' }, 'Status'), status);
	const ph = { container: 'container (name or id)', image: 'image', host: 'host', domain: 'domain or parent' };
	for (const k of FILTERS.slice(1)) {
		const i = k === 'host' && hostList ? hostSelect(p, hostList) : h('input', { type: 'search', id: 'ev-' + k, tid: 'ev-' + k, name: k,
			placeholder: ph[k], value: p.get(k) || '', autocomplete: 'off', spellcheck: 'false' });
		inputs[k] = i;
		form.append(h('label', { class: 'sr', for: 'ev-' + k }, k), i);
	}
	const apply = h('button', { type: 'submit', class: 'btn btn-primary', id: 'ev-apply', tid: 'ev-apply' }, 'Apply');
	const reset = h('button', { type: 'button', class: 'btn', id: 'ev-reset', tid: 'ev-reset' }, 'Clear');
	form.append(apply, reset);
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		const q = new URLSearchParams(p);
		for (const k of FILTERS) {
			const v = inputs[k].value.trim();
			if (v)
				q.set(k, v);
			else
				q.delete(k);
		}
		if (range.bar.dataset.custom) {
			const f = fromLocalInput(range.fromIn.value), t = fromLocalInput(range.toIn.value);
			if (range.fromIn.value && isNaN(f) || range.toIn.value && isNaN(t)) {
				showMsg('error', 'The custom range needs valid times.');
				return;
			}
			q.set('range', 'custom');
			q.set('from', isNaN(f) ? 0 : f);
			if (isNaN(t))
				q.delete('to');
			else
				q.set('to', t + 59); // the whole minute shown
		}
		q.delete('offset');
		q.delete('at');
		go(q);
	});
	reset.addEventListener('click', () => go(new URLSearchParams()));
	return form;
}

function eventRow(e, sel, onSel) {
	const id = Number(e.id);
	const cb = h('input', { type: 'checkbox', class: 'rowcheck', tid: 'row-check', 'aria-label': 'Select event ' + id, checked: sel.has(id) });
	cb.addEventListener('change', () => onSel(id, cb.checked));
	const image = str(e.image);
	return h('tr', { 'data-event-id': String(id), tid: 'event-row', 'data-status': str(e.status),
		'data-last-seen': String(e.last_seen), 'data-container': str(e.container_name),
		'data-container-id': str(e.container_id), 'data-count': String(e.count) },
	h('td', { class: 'chk' }, cb),
	h('td', { class: 'mono nowrap', title: 'first seen ' + fmtTime(e.first_seen) }, fmtTime(e.last_seen)),
	h('td', null, badge(e.status)),
	cell(e.container_name || e.container_id, { title: str(e.container_name) + ' ' + str(e.container_id) }),
	h('td', { title: image }, image ? link('images/' + encodeURIComponent(image), null, image, { tid: 'image-link' }) : '\u2013'),
	session.fleet ? h('td', { title: `${str(e.host_name)} (${str(e.host_id)})`, tid: 'event-host', 'data-host-id': str(e.host_id) },
		dash(e.host_name || e.host_id)) : cell(e.host),
	h('td', { title: str(e.subject), class: 'subject' },
		link('events/' + id, null, dash(e.subject), { tid: 'event-link' })),
	h('td', { title: str(e.rule_category) }, e.rule_category ? h('span', { class: 'cat' }, h('span', { class: 'swatch ' + catClass(e.rule_category) }), e.rule_category) : '\u2013'),
	h('td', null, badge(e.action)),
	cell(e.process_path, { class: 'mono' }),
	cell(e.process_user),
	h('td', { class: 'num' }, fmtNum(e.count)));
}

async function bulk(action, ids, after) {
	if (!ids.length)
		return;
	const n = ids.length, s = n === 1 ? '' : 's';
	if (action === 'delete') {
		const ok = await confirmDialog({ title: `Delete ${n} event${s}?`, danger: true, ok: 'Delete',
			text: 'Deleted events are gone for good; the lists and containers stay as they are.' });
		if (!ok)
			return;
	}
	if (action === 'isolate') {
		const ok = await confirmDialog({ title: `Isolate the container${s} of ${n} event${s}?`, danger: true, ok: 'Isolate',
			text: 'Each container is cut off the network until it is given back on the Containers page; the events are marked handled.' });
		if (!ok)
			return;
	}
	const a = await api('POST', '/api/events/' + action, { ids });
	const names = { handled: 'Marked handled', ignore: 'Ignored', isolate: 'Isolated', delete: 'Deleted' };
	await after();
	showResults(names[action], a);
}

export async function eventsList(ctx) {
	const p = ctx.params;
	const now = Math.floor(Date.now() / 1000);
	const [from, to] = rangeOf(p, now);
	const offset = Math.max(0, Number(p.get('offset')) || 0);
	const limit = Math.min(1000, Math.max(1, Number(p.get('limit')) || PAGE));
	const q = { from, to, sort: p.get('sort') || '-last_seen', limit, offset };
	for (const k of FILTERS)
		q[k] = p.get(k) || '';
	const [a, hl] = await Promise.all([api('GET', '/api/events' + query(q)),
		session.fleet ? api('GET', '/api/hosts') : null]);
	const hostList = hl && Array.isArray(hl.hosts) ? hl.hosts : null;
	const events = Array.isArray(a.events) ? a.events : [];
	const total = typeof a.total === 'number' ? a.total : events.length;

	const sel = new Set();
	const bulkBtns = [];
	const selInfo = h('span', { class: 'muted', tid: 'bulk-count' }, 'none selected');
	const rows = [];
	const allBox = h('input', { type: 'checkbox', id: 'ev-select-all', tid: 'ev-select-all', 'aria-label': 'Select all on this page' });
	const sync = () => {
		selInfo.textContent = sel.size ? `${sel.size} selected` : 'none selected';
		for (const b of bulkBtns)
			b.disabled = !sel.size;
		allBox.checked = events.length > 0 && sel.size === events.length;
		allBox.indeterminate = sel.size > 0 && sel.size < events.length;
	};
	const onSel = (id, on) => {
		if (on)
			sel.add(id);
		else
			sel.delete(id);
		sync();
	};
	allBox.addEventListener('change', () => {
		const on = allBox.checked; // sync() below changes it
		for (const tr of rows) {
			tr.querySelector('.rowcheck').checked = on;
			onSel(Number(tr.dataset.eventId), on);
		}
	});
	const tbody = h('tbody');
	for (const e of events) {
		const tr = eventRow(e, sel, onSel);
		rows.push(tr);
		tbody.append(tr);
	}
	if (!events.length)
		tbody.append(h('tr', { tid: 'no-events' }, h('td', { colspan: 12, class: 'empty' }, 'No events match.')));

	for (const [act, label, cls] of [['handled', 'Mark handled'], ['ignore', 'Ignore'],
		['isolate', 'Isolate containers', 'btn-warn'], ['delete', 'Delete', 'btn-danger']]) {
		const b = button(label, { class: 'btn ' + (cls || ''), tid: 'bulk-' + act, id: 'bulk-' + act, disabled: true },
			() => bulk(act, [...sel], ctx.refresh));
		bulkBtns.push(b);
	}
	const range = rangeBar(p, from, to);
	const filters = filterForm(p, range, hostList);
	const first = total ? offset + 1 : 0, last = offset + events.length;
	const pageTo = (o) => {
		const qq = new URLSearchParams(p);
		qq.set('offset', String(Math.max(0, o)));
		if ((qq.get('range') || '7d') !== 'custom')
			qq.set('at', String(to));
		go(qq);
	};
	const prev = button('\u2039 Prev', { tid: 'ev-prev', id: 'ev-prev', disabled: offset <= 0 }, () => pageTo(offset - limit));
	const next = button('Next \u203a', { tid: 'ev-next', id: 'ev-next', disabled: last >= total }, () => pageTo(offset + limit));
	const exportQ = Object.assign({}, q);
	delete exportQ.limit;
	delete exportQ.offset;

	ctx.main.append(
		h('div', { class: 'page-head' },
			h('h1', null, 'Events'),
			h('span', { class: 'muted', tid: 'ev-range-text' }, `${from ? fmtTime(from) : 'the beginning'} \u2013 ${fmtTime(to)}`),
			h('span', { class: 'spacer' }),
			h('a', { class: 'btn', href: '/api/events.csv' + query(exportQ), download: 'events.csv', tid: 'ev-export-csv' }, 'CSV'),
			h('a', { class: 'btn', href: '/api/events.json' + query(exportQ), download: 'events.json', tid: 'ev-export-json' }, 'JSON')),
		h('div', { class: 'toolbar' }, range.bar),
		h('div', { class: 'toolbar' }, filters),
		h('div', { class: 'toolbar bulkbar', tid: 'bulkbar' }, selInfo, bulkBtns,
			h('span', { class: 'spacer' }),
			h('span', { class: 'muted', tid: 'ev-total', 'data-total': String(total), 'data-first': String(first), 'data-last': String(last) },
				`${fmtNum(first)}\u2013${fmtNum(last)} of ${fmtNum(total)}`),
			prev, next),
		h('table', { class: 'tbl events', tid: 'events-table', id: 'events-table' },
			h('colgroup', null, ['chk', 'time', 'status', 'cont', 'image', 'host', 'subj', 'cat', 'act', 'proc', 'user', 'count']
				.map((c) => h('col', { class: 'c-' + c }))),
			h('thead', null, h('tr', null,
				h('th', { class: 'chk' }, allBox),
				sortHeader(p, 'last_seen', 'Last seen'),
				h('th', null, 'Status'),
				sortHeader(p, 'container', 'Container'),
				h('th', null, 'Image'),
				h('th', null, 'Host'),
				sortHeader(p, 'domain', 'Domain / IP'),
				h('th', null, 'Category'),
				h('th', null, 'Action'),
				h('th', null, 'Process'),
				h('th', null, 'User'),
				sortHeader(p, 'count', 'Count', 'num'))),
			tbody));
	sync();
}

// ---- one event ----

// The patterns that cover a name: itself and each parent "*.domain"
// below the top-level one (egressd refuses a whole TLD).
export function parentPatterns(subject, type) {
	const s = str(subject);
	if (type === 'ip' || /^[0-9.]+$/.test(s) || s.includes(':') || s.includes('/'))
		return [s];
	const labels = s.split('.');
	const out = [s];
	for (let i = 1; i <= labels.length - 2; i++)
		out.push('*.' + labels.slice(i).join('.'));
	return out;
}

function addrList(a) {
	if (!Array.isArray(a) || !a.length)
		return '\u2013';
	return a.map((x) => (typeof x === 'object' && x ? str(x.addr || x.address || JSON.stringify(x)) : str(x))).join(', ');
}

function processTree(d) {
	const procs = Array.isArray(d.process) ? d.process.slice(0, 3) : [];
	if (!procs.length) {
		const why = d.process_unknown && d.process_unknown.reason;
		return h('p', { class: 'muted', tid: 'process-unknown' }, 'Process unknown' + (why ? ': ' + why : '.'));
	}
	const labels = ['process', 'parent', 'grandparent'];
	const ol = h('ol', { class: 'ptree', tid: 'process-tree' });
	procs.forEach((p, i) => {
		ol.append(h('li', { class: 'plevel lvl-' + i, tid: 'process-level', 'data-pid': String(p.pid) },
			h('div', { class: 'prow' },
				h('span', { class: 'plabel' }, labels[i]),
				h('span', { class: 'mono' }, 'pid ' + str(p.pid)),
				h('span', { class: 'mono pexe', tid: 'process-exe' }, dash(p.exe)),
				h('span', null, 'user ' + dash(p.user) + (p.uid !== undefined ? ` (uid ${p.uid})` : ''))),
			h('div', { class: 'mono pcmd', tid: 'process-cmdline', title: str(p.cmdline) }, dash(p.cmdline))));
	});
	return ol;
}

function dnsFacts(e, d) {
	// The name asked, the CNAMEs followed, the name the rule matched: a
	// chain when the detail has one, else asked -> matched when they differ.
	let chain = d.chain || d.cnames || d.dns_chain || d.cname;
	const matched = d.rule && d.rule.matched;
	if (!chain && d.name && matched && d.name !== matched)
		chain = [d.name, matched];
	const chainText = Array.isArray(chain) ? chain.map(str).join(' \u2192 ') : str(chain);
	return facts([
		['Kind', d.kind],
		['Name asked', d.name || (e.type === 'domain' ? e.subject : '')],
		['DNS chain', chainText, 'dns-chain'],
		['Addresses', addrList(d.addrs), 'dns-addrs'],
		['Destination', d.dst],
		['Container IP', d.container_ip],
		['Matched', d.rule && d.rule.matched],
		['Detail', d.detail],
		['Summary', d.summary],
	].filter(([, v]) => v !== undefined && v !== null && v !== ''));
}

function whitelistDialog(e, done) {
	const dlg = document.getElementById('dlg-whitelist');
	const form = document.getElementById('wl-form');
	const sel = document.getElementById('wl-pattern');
	const all = document.getElementById('wl-all-pending');
	const note = document.getElementById('wl-note');
	const cancel = document.getElementById('wl-cancel');
	const submit = document.getElementById('wl-submit');
	document.getElementById('wl-subject').textContent = str(e.subject);
	sel.replaceChildren(...parentPatterns(e.subject, e.type).map((v) => h('option', { value: v }, v)));
	all.checked = false;
	note.value = '';
	const cleanup = () => {
		form.removeEventListener('submit', onSubmit);
		cancel.removeEventListener('click', onCancel);
	};
	const onCancel = () => {
		cleanup();
		dlg.close();
	};
	const onSubmit = async (ev) => {
		ev.preventDefault();
		submit.disabled = true;
		try {
			const body = { domain: sel.value, all_pending: all.checked };
			if (note.value.trim())
				body.note = note.value.trim();
			const a = await api('POST', `/api/events/${e.id}/whitelist`, body);
			cleanup();
			dlg.close();
			await done();
			const more = Number(a.also_whitelisted) || 0;
			if (a.applied === false)
				showMsg('warn', `Whitelisted ${str(a.pattern || sel.value)}, but the lists were not applied yet: ${str(a.apply_error)}`);
			else
				showMsg('ok', `Whitelisted ${str(a.pattern || sel.value)}` + (more ? ` and ${more} more pending event${more === 1 ? '' : 's'}.` : '.'));
		} catch (err) {
			showError(err, 'Whitelist');
		} finally {
			submit.disabled = false;
		}
	};
	form.addEventListener('submit', onSubmit);
	cancel.addEventListener('click', onCancel);
	dlg.addEventListener('close', cleanup, { once: true });
	dlg.showModal();
	sel.focus();
}

export async function eventDetail(ctx) {
	const id = ctx.args[0];
	const a = await api('GET', '/api/events/' + encodeURIComponent(id));
	const e = a.event || {};
	const d = e.detail && typeof e.detail === 'object' ? e.detail : {};
	const c = d.container || {};
	const now = e.container_now || {};
	const host = d.host || {};
	const rule = d.rule || {};
	const imageName = str(e.image || c.image);
	const imageKey = str(c.image_id || e.image_id || imageName);
	// egressd's words, the same egressctl prints
	const [risk, remedy] = [str(e.risk), str(e.remedy)];
	const isIp = e.type === 'ip';

	const act = (path, method, msg) => async () => {
		const a = await api(method || 'POST', `/api/events/${e.id}/${path}`);
		await ctx.refresh();
		// Fleet mode: the host runs an isolation; it may not have yet.
		if (session.fleet && path === 'isolate')
			showResults('Isolate', a);
		else
			showMsg('ok', msg);
	};
	const buttons = h('div', { class: 'actions', tid: 'event-actions' },
		button('Whitelist\u2026', { class: 'btn btn-primary', tid: 'ed-whitelist', id: 'ed-whitelist' },
			() => whitelistDialog(e, ctx.refresh)),
		button('Mark handled', { tid: 'ed-handled', id: 'ed-handled' }, act('handled', 'POST', `Event ${e.id} marked handled.`)),
		button('Ignore', { tid: 'ed-ignore', id: 'ed-ignore' }, act('ignore', 'POST', `Event ${e.id} ignored.`)),
		button('Isolate container\u2026', { class: 'btn btn-warn', tid: 'ed-isolate', id: 'ed-isolate' }, async () => {
			const ok = await confirmDialog({ title: `Isolate ${dash(e.container_name || e.container_id)}?`, danger: true, ok: 'Isolate',
				text: `The container ${str(e.container_name)} (${shortId(e.container_id)}) is cut off the network until it is given back on the Containers page; this event is marked handled.` });
			if (!ok)
				return;
			await act('isolate', 'POST', `Container ${str(e.container_name || e.container_id)} isolated; event ${e.id} handled.`)();
		}),
		button('Delete\u2026', { class: 'btn btn-danger', tid: 'ed-delete', id: 'ed-delete' }, async () => {
			const ok = await confirmDialog({ title: `Delete event ${e.id}?`, danger: true, ok: 'Delete',
				text: 'The event is gone for good; the lists and the container stay as they are.' });
			if (!ok)
				return;
			await api('DELETE', `/api/events/${e.id}`);
			location.hash = route('events');
			showMsg('ok', `Event ${e.id} deleted.`);
		}));

	ctx.main.append(
		h('div', { class: 'page-head' },
			h('a', { href: route('events'), class: 'back', tid: 'back-events' }, '\u2039 Events'),
			h('h1', { tid: 'event-title', 'data-event-id': String(e.id) },
				isIp ? 'Malicious IP connection: ' : 'Malicious domain request: ',
				h('span', { class: 'mono', tid: 'event-subject' }, dash(e.subject))),
			badge(e.status), badge(e.action)),
		buttons,
		h('div', { class: 'grid-3' },
			section('Container', { tid: 'ed-container' }, facts([
				['Name', e.container_name || c.name, 'ed-container-name'],
				['Id', h('span', { class: 'mono', title: str(e.container_id) }, dash(e.container_id))],
				['Image', imageName || imageKey
					? link('images/' + encodeURIComponent(imageKey), null, imageName || shortId(imageKey), { tid: 'ed-image-link' })
					: '\u2013'],
				['Runtime', c.runtime],
				['State now', badge(now.state), 'ed-state-now'],
				['Isolation now', badge(now.isolation), 'ed-isolation-now'],
				['Events', link('events', { container: e.container_id, range: '30d' }, 'events of this container', { tid: 'ed-container-events' })],
			])),
			section('Rule', { tid: 'ed-rule' }, facts([
				['List', e.rule_list || rule.list],
				['Source', e.rule_source || rule.source, 'ed-rule-source'],
				['Pattern', h('span', { class: 'mono' }, dash(e.rule_pattern || rule.pattern)), 'ed-rule-pattern'],
				['Category', e.rule_category || rule.category, 'ed-rule-category'],
			])),
			section('Seen', { tid: 'ed-seen' }, facts([
				['First seen', fmtTime(e.first_seen), 'ed-first-seen'],
				['Last seen', fmtTime(e.last_seen), 'ed-last-seen'],
				['Count', fmtNum(e.count), 'ed-count'],
				['Status', badge(e.status), 'ed-status'],
				['Action', badge(e.action)],
			]))),
		section('Risk and remedy', { tid: 'ed-advice' }, facts([
			['Risk', risk, 'ed-risk'],
			['Remedy', remedy, 'ed-remedy'],
		])),
		section('Process tree', { tid: 'ed-process' }, processTree(d)),
		h('div', { class: 'grid-2' },
			section('DNS and addresses', { tid: 'ed-dns' }, dnsFacts(e, d)),
			section('Host', { tid: 'ed-host' }, session.fleet ? facts([
				['Name', e.host_name || e.host, 'ed-host-name'],
				['Host id', h('span', { class: 'mono' }, dash(e.host_id)), 'ed-host-id'],
				['Inner addresses', addrList(e.host_inner), 'ed-host-inner'],
				['Outer addresses', addrList(e.host_outer), 'ed-host-outer'],
				['Events', link('events', { host: e.host_id, range: '7d' }, 'events of this host', { tid: 'ed-host-events' })],
			]) : facts([
				['Name', e.host || host.name, 'ed-host-name'],
				['Inner addresses', addrList(host.inner)],
				['Outer addresses', addrList(host.outer)],
			]))));
}
