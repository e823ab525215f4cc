// SPDX-License-Identifier: GPL-2.0-or-later
// Containers, one image, the lists, the audit log.
import {
	h, api, query, route, link, cell, badge, button, section, facts, fmtTime,
	fmtNum, fmtBytes, showMsg, showError, showResults, confirmDialog, str, dash,
	shortId, session,
} from './core.js';

// ---- containers ----

// States in which the container is (or may still be) cut off: it can be
// given back. Any other may be isolated.
const CUT = new Set(['isolated', 'isolating', 'restoring', 'restore-failed']);

function addrs(a) {
	if (!Array.isArray(a) || !a.length)
		return '\u2013';
	return a.map((x) => (typeof x === 'object' && x ? str(x.addr || x.address) : str(x))).join(', ');
}

function imageCell(name, id) {
	const key = str(id || name);
	if (!key)
		return h('td', null, '\u2013');
	return h('td', { title: str(name) + (id ? ' ' + id : '') },
		link('images/' + encodeURIComponent(key), null, str(name) || shortId(key), { tid: 'image-link' }));
}

async function isolation(k, isolate, refresh) {
	const name = str(k.name || k.id);
	const ok = await confirmDialog(isolate
		? { title: `Isolate ${name}?`, ok: 'Isolate', danger: true, note: true, notePlaceholder: 'why (kept with the isolation)',
			text: `${name} (${shortId(k.id)}) is cut off the network: every packet to or from it is dropped until it is given back.` }
		: { title: `Give ${name} its network back?`, ok: 'Unisolate', note: true, notePlaceholder: 'why (audited)',
			text: `${name} (${shortId(k.id)}) may talk to the network again, judged by the lists as before.` });
	if (!ok)
		return;
	const body = ok.note ? { note: ok.note } : {};
	// Fleet mode: the container of one host, "HOST:CONTAINER".
	const key = session.fleet ? `${str(k.host_id)}:${str(k.id)}` : str(k.id);
	const a = await api('POST', `/api/containers/${encodeURIComponent(key)}/${isolate ? 'isolate' : 'unisolate'}`, body);
	await refresh();
	if (a.state === 'pending') {
		showMsg('warn', `${str(a.container || name)}: pending \u2013 host ${str(a.host_id)} has not run command ${str(a.command)} yet; it runs it when it is back.`);
		return;
	}
	const saved = a.saved === false ? ' (egressd could not save the state yet: it will retry)' : '';
	showMsg(a.saved === false ? 'warn' : 'ok',
		`${str(a.container || name)}: ${str(a.state || (isolate ? 'isolated' : 'restored'))}${saved}.`);
}

export async function containers(ctx) {
	const a = await api('GET', '/api/containers');
	const list = Array.isArray(a.containers) ? a.containers : [];
	const tb = h('tbody');
	for (const k of list) {
		const iso = k.isolation || {};
		const st = str(iso.state || 'none');
		const cut = CUT.has(st);
		const isoCell = h('td', { class: 'iso', tid: 'iso-cell' }, badge(st),
			iso.since ? h('span', { class: 'muted small', tid: 'iso-since' }, ' since ' + fmtTime(iso.since)) : null,
			iso.note ? h('div', { class: 'note', tid: 'iso-note', title: str(iso.note) }, str(iso.note)) : null,
			iso.reason && st.endsWith('failed') ? h('div', { class: 'note err' }, str(iso.reason)) : null);
		tb.append(h('tr', { 'data-container-id': str(k.id), 'data-container-name': str(k.name), 'data-isolation': st, tid: 'container-row',
			'data-host-id': session.fleet ? str(k.host_id) : null },
			session.fleet ? h('td', { title: `${str(k.host_name)} (${str(k.host_id)})`, tid: 'container-host' },
				link('events', { host: k.host_id, range: '7d' }, dash(k.host_name || k.host_id))) : null,
			h('td', { title: str(k.name) }, link('events', { container: k.id, host: session.fleet ? k.host_id : null, range: '30d' }, dash(k.name), { tid: 'container-events' })),
			h('td', { class: 'mono', title: str(k.id) }, shortId(k.id)),
			cell(k.runtime),
			imageCell(k.image, k.image_id),
			h('td', null, badge(k.state)),
			cell(addrs(k.addrs), { class: 'mono' }),
			isoCell,
			h('td', { class: 'actions-cell' }, cut
				? button('Unisolate\u2026', { tid: 'uniso-btn', 'data-container-id': str(k.id) }, () => isolation(k, false, ctx.refresh))
				: button('Isolate\u2026', { class: 'btn btn-warn', tid: 'iso-btn', 'data-container-id': str(k.id), disabled: k.state === 'absent' },
					() => isolation(k, true, ctx.refresh)))));
	}
	if (!list.length)
		tb.append(h('tr', null, h('td', { colspan: session.fleet ? 9 : 8, class: 'empty' },
			session.fleet ? 'No host has reported a container.' : 'egressd knows no container.')));
	const cols = (session.fleet ? ['host'] : []).concat(['name', 'id', 'rt', 'image', 'state', 'addrs', 'iso', 'btn']);
	const heads = (session.fleet ? ['Host'] : []).concat(['Name', 'Id', 'Runtime', 'Image', 'State', 'Addresses', 'Isolation', '']);
	const host = a.host;
	ctx.main.append(
		h('div', { class: 'page-head' }, h('h1', null, 'Containers'),
			host ? h('span', { class: 'muted', tid: 'host-facts' },
				`host ${dash(host.name)}, inner ${addrs(host.inner)}, outer ${addrs(host.outer)}`) : null),
		h('table', { class: 'tbl', tid: 'containers-table', id: 'containers-table' },
			h('colgroup', null, cols.map((c) => h('col', { class: 'k-' + c }))),
			h('thead', null, h('tr', null, heads.map((t) => h('th', null, t)))),
			tb));
}

// ---- one image ----

function when(v) {
	return typeof v === 'number' || (typeof v === 'string' && v) ? fmtTime(v) : '\u2013';
}

export async function image(ctx) {
	const key = ctx.args[0];
	const a = await api('GET', '/api/images/' + encodeURIComponent(key));
	const im = a.image || {};
	const tags = Array.isArray(im.tags) ? im.tags : [];
	const hist = Array.isArray(im.history) ? im.history : [];
	const conts = Array.isArray(im.containers) ? im.containers : [];
	const htb = h('tbody');
	for (const l of hist)
		htb.append(h('tr', { tid: 'layer-row' },
			h('td', { class: 'mono nowrap' }, when(l.created)),
			h('td', { class: 'mono wrap', tid: 'layer-cmd' }, dash(l.created_by),
				l.comment ? h('div', { class: 'muted small' }, str(l.comment)) : null),
			h('td', { class: 'num nowrap' }, fmtBytes(l.size))));
	if (!hist.length)
		htb.append(h('tr', null, h('td', { colspan: 3, class: 'empty' }, 'No history.')));
	const cl = h('ul', { class: 'plain', tid: 'image-containers' });
	for (const c of conts)
		cl.append(h('li', null, link('events', { container: c.id, range: '30d' }, dash(c.name), { tid: 'image-container' }),
			h('span', { class: 'muted mono' }, ' ' + shortId(c.id))));
	if (!conts.length)
		cl.append(h('li', { class: 'muted' }, 'none known'));
	ctx.main.append(
		h('div', { class: 'page-head' }, h('h1', null, 'Image ', h('span', { class: 'mono', tid: 'image-title' }, tags[0] || shortId(im.id || key)))),
		h('div', { class: 'grid-2' },
			section('Image', { tid: 'image-facts' }, facts([
				['Id', h('span', { class: 'mono wrap' }, dash(im.id)), 'image-id'],
				['Tags', tags.length ? tags.join(', ') : '\u2013', 'image-tags'],
				['Created', when(im.created), 'image-created'],
				['Size', fmtBytes(im.size), 'image-size'],
				['OS / arch', `${dash(im.os)} / ${dash(im.architecture)}`, 'image-osarch'],
			])),
			section('Containers running it', null, cl)),
		section('Layers (history)', { tid: 'image-history' },
			h('table', { class: 'tbl', tid: 'layers-table' },
				h('colgroup', null, h('col', { class: 'l-time' }), h('col'), h('col', { class: 'l-size' })),
				h('thead', null, h('tr', null, h('th', null, 'Created'), h('th', null, 'Created by'), h('th', { class: 'num' }, 'Size'))),
				htb)));
}

// ---- lists ----

const LIST_PAGE = 50;
// The ids each custom list's earlier pages started after (for "Prev").
const listPages = { black: [], white: [] };

function systemTab(a) {
	const src = Array.isArray(a.sources) ? a.sources : [];
	const imports = Array.isArray(a.imports) ? a.imports : [];
	const byName = new Map(imports.map((i) => [str(i.name), i]));
	const tb = h('tbody');
	for (const s of src) {
		const im = byName.get(str(s.source));
		tb.append(h('tr', { tid: 'source-row', 'data-list': str(s.list), 'data-source': str(s.source),
			'data-host-id': session.fleet ? str(s.host_id) : null },
			session.fleet ? cell(s.host_name || s.host_id, { tid: 'source-host' }) : null,
			h('td', null, badge(s.list)),
			cell(s.source, { class: 'mono' }),
			cell(s.category),
			h('td', { class: 'num', tid: 'source-entries' }, fmtNum(s.entries)),
			h('td', { class: 'nowrap' }, im ? fmtTime(im.imported) : fmtTime(a.loaded)),
			cell(im ? `imported feed (${str(im.format)})` : s.source === 'custom'
				? `custom entries (the ${str(s.list)}list tab)` : s.source === 'central'
					? `central entries (the ${str(s.list)}list tab), on every host` : 'shipped or configured')));
	}
	if (!src.length)
		tb.append(h('tr', null, h('td', { colspan: 6, class: 'empty' }, 'No list sources loaded.')));
	const fleet = session.fleet;
	return h('div', null,
		h('p', { class: 'muted', tid: 'lists-loaded' }, fleet
			? `Central lists version ${fmtNum(a.list_version)}: the central entries apply on every host; each host's own sources are as its last heartbeat reported them (read-only here).`
			: `Lists loaded ${fmtTime(a.loaded)}. The system lists are read-only here; feeds are imported with egressctl lists import.`),
		h('table', { class: 'tbl', tid: 'sources-table' },
			h('colgroup', null, (fleet ? ['host'] : []).concat(['list', 'src', 'cat', 'n', 'upd', 'kind']).map((c) => h('col', { class: 's-' + c }))),
			h('thead', null, h('tr', null, (fleet ? ['Host'] : []).concat(['List', 'Source', 'Category', 'Entries', 'Last update', 'Kind']).map((t) =>
				h('th', t === 'Entries' ? { class: 'num' } : null, t)))),
			tb));
}

function resultsTable(results) {
	const tb = h('tbody');
	for (const r of results)
		tb.append(h('tr', { tid: 'add-result', 'data-result': str(r.result), 'data-line': str(r.line) },
			h('td', { class: 'num' }, dash(r.line)),
			h('td', { class: 'mono wrap' }, dash(r.pattern)),
			h('td', null, badge(r.result)),
			h('td', { class: 'wrap' }, dash(r.error))));
	return h('table', { class: 'tbl compact', tid: 'list-add-results' },
		h('colgroup', null, h('col', { class: 'r-line' }), h('col'), h('col', { class: 'r-res' }), h('col')),
		h('thead', null, h('tr', null, h('th', { class: 'num' }, 'Line'), h('th', null, 'Pattern'), h('th', null, 'Result'), h('th', null, 'Error'))),
		tb);
}

async function entriesTable(list, after, holder, reload) {
	const a = await api('GET', `/api/${list}list` + query({ after, limit: LIST_PAGE }));
	const entries = Array.isArray(a.entries) ? a.entries : [];
	const tb = h('tbody');
	for (const e of entries)
		tb.append(h('tr', { tid: 'list-row', 'data-entry-id': str(e.id), 'data-pattern': str(e.pattern) },
			h('td', { class: 'mono', title: str(e.pattern), tid: 'list-pattern' }, dash(e.pattern)),
			h('td', { tid: 'list-note', class: 'wrap' }, str(e.note)),
			h('td', { class: 'nowrap' }, fmtTime(e.created)),
			cell(e.created_by_user || e.created_by),
			h('td', { class: 'actions-cell' }, button('Remove', { class: 'btn btn-small', tid: 'list-remove', 'data-entry-id': str(e.id) }, async () => {
				const ok = await confirmDialog({ title: `Remove ${str(e.pattern)}?`, ok: 'Remove', danger: list === 'white',
					text: `The entry leaves the custom ${list}list; egressd applies the change at once.` });
				if (!ok)
					return;
				const r = await api('DELETE', `/api/${list}list/${encodeURIComponent(e.id)}`);
				await reload();
				if (r.applied === false)
					showMsg('warn', `Removed ${str(e.pattern)}, but the lists were not applied yet: ${str(r.apply_error)}`);
				else
					showMsg('ok', `Removed ${str(e.pattern)} from the ${list}list.`);
			}))));
	if (!entries.length)
		tb.append(h('tr', null, h('td', { colspan: 5, class: 'empty' }, after ? 'No more entries.' : 'The list is empty.')));
	const stack = listPages[list];
	const prev = button('\u2039 Prev', { tid: 'list-prev', disabled: !after }, () => {
		const to = stack.length ? stack.pop() : 0;
		location.hash = route('lists', { tab: list, after: to || '' });
	});
	const next = button('Next \u203a', { tid: 'list-next', disabled: !a.more }, () => {
		stack.push(after);
		location.hash = route('lists', { tab: list, after: entries[entries.length - 1].id });
	});
	holder.replaceChildren(
		h('table', { class: 'tbl', tid: 'list-table', 'data-list': list },
			h('colgroup', null, ['pat', 'note', 'time', 'by', 'btn'].map((c) => h('col', { class: 'e-' + c }))),
			h('thead', null, h('tr', null, ['Pattern', 'Note', 'Created', 'By', ''].map((t) => h('th', null, t)))),
			tb),
		h('div', { class: 'toolbar' }, h('span', { class: 'spacer' }),
			h('span', { class: 'muted', tid: 'list-page' }, entries.length ? `entries ${str(entries[0].id)}\u2026${str(entries[entries.length - 1].id)} (by id)` : ''),
			prev, next));
}

function customTab(list, after) {
	const holder = h('div', { tid: 'list-entries' }, h('p', { class: 'muted' }, 'Loading\u2026'));
	const reload = () => entriesTable(list, after, holder, reload).catch((e) => showError(e));
	const text = h('textarea', { id: 'list-add-text', tid: 'list-add-text', rows: 8, spellcheck: 'false',
		placeholder: 'one per line: example.com, *.example.net, 192.0.2.7, 198.51.100.0/24\n# comments and blank lines are skipped' });
	const note = h('input', { type: 'text', id: 'list-add-note', tid: 'list-add-note', maxLength: 500, placeholder: 'note for every entry added' });
	const out = h('div', { tid: 'list-add-out' });
	const form = h('form', { class: 'addform', tid: 'list-add-form' },
		h('label', { for: 'list-add-text' }, `Add to the ${list}list`), text,
		h('label', { for: 'list-add-note' }, 'Note'), note,
		h('div', { class: 'toolbar' },
			h('button', { type: 'submit', class: 'btn btn-primary', id: 'list-add-submit', tid: 'list-add-submit' }, 'Add')),
		out);
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const submit = form.querySelector('#list-add-submit');
		if (!text.value.trim()) {
			showMsg('error', 'Nothing to add: write one pattern per line.');
			return;
		}
		submit.disabled = true;
		try {
			const body = { text: text.value };
			if (note.value.trim())
				body.note = note.value.trim();
			const a = await api('POST', `/api/${list}list`, body);
			const res = Array.isArray(a.results) ? a.results : [];
			const n = (k) => res.filter((r) => r.result === k).length;
			out.replaceChildren(
				h('p', { tid: 'list-add-summary' }, `${n('added')} added, ${n('duplicate')} duplicate, ${n('invalid')} invalid` +
					(n('failed') ? `, ${n('failed')} failed` : '') + '.'),
				resultsTable(res));
			if (n('invalid') + n('failed') === 0)
				text.value = '';
			await reload();
			if (a.applied === false)
				showMsg('warn', `The entries were stored but not applied yet: ${str(a.apply_error)}`);
			else if (n('invalid') + n('failed'))
				showMsg('error', `${n('invalid') + n('failed')} of ${res.length} lines were not added: see the results below the form.`);
			else
				showMsg('ok', `${n('added')} added, ${n('duplicate')} already there.`);
		} catch (e) {
			showError(e);
		} finally {
			submit.disabled = false;
		}
	});
	reload();
	return h('div', { class: 'grid-2-1' },
		section(`Custom ${list}list`, { tid: 'list-' + list }, holder),
		section('Batch add', null, form));
}

export async function lists(ctx) {
	const tab = ['system', 'black', 'white'].includes(ctx.params.get('tab')) ? ctx.params.get('tab') : 'black';
	const after = Math.max(0, Number(ctx.params.get('after')) || 0);
	if (!after)
		listPages[tab === 'system' ? 'black' : tab] = [];
	const tabs = h('nav', { class: 'tabs', tid: 'list-tabs' },
		[['black', 'Custom blacklist'], ['white', 'Custom whitelist'], ['system', 'System lists']].map(([k, t]) =>
			h('a', { href: route('lists', { tab: k }), class: tab === k ? 'active' : '', tid: 'tab-' + k,
				'aria-current': tab === k ? 'page' : null }, t)));
	const body = tab === 'system' ? systemTab(await api('GET', '/api/lists')) : customTab(tab, after);
	ctx.main.append(h('div', { class: 'page-head' }, h('h1', null, 'Lists')), tabs, body);
}

// ---- audit ----

const auditPages = [];

export async function audit(ctx) {
	const before = Math.max(0, Number(ctx.params.get('before')) || 0);
	if (!before)
		auditPages.length = 0;
	const a = await api('GET', '/api/audit' + query({ before: before || '', limit: 50 }));
	const lines = Array.isArray(a.audit) ? a.audit : [];
	const tb = h('tbody');
	for (const l of lines)
		tb.append(h('tr', { tid: 'audit-row', 'data-audit-id': str(l.id), 'data-action': str(l.action) },
			h('td', { class: 'mono nowrap' }, fmtTime(l.time)),
			cell(l.user || (l.uid !== undefined ? 'uid ' + l.uid : '')),
			cell(l.action),
			h('td', { class: 'wrap', tid: 'audit-what' }, str(l.what))));
	if (!lines.length)
		tb.append(h('tr', null, h('td', { colspan: 4, class: 'empty' }, 'No entries.')));
	const newer = button('\u2039 Newer', { tid: 'audit-newer', disabled: !before }, () => {
		const to = auditPages.length ? auditPages.pop() : 0;
		location.hash = route('audit', { before: to || '' });
	});
	const older = button('Older \u203a', { tid: 'audit-older', disabled: lines.length < 50 }, () => {
		auditPages.push(before);
		location.hash = route('audit', { before: lines[lines.length - 1].id });
	});
	ctx.main.append(
		h('div', { class: 'page-head' }, h('h1', null, 'Audit log'), h('span', { class: 'spacer' }), newer, older),
		h('table', { class: 'tbl', tid: 'audit-table' },
			h('colgroup', null, ['time', 'user', 'action', 'what'].map((c) => h('col', { class: 'a-' + c }))),
			h('thead', null, h('tr', null, ['Time', 'User', 'Action', 'What'].map((t) => h('th', null, t)))),
			tb));
}
