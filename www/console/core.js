// SPDX-License-Identifier: GPL-2.0-or-later
// The console's common parts: building elements (text only, never
// markup from data), formatting, the API client, the message bar and the
// confirmation dialog.

const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'hidden',
	'type', 'name', 'placeholder', 'htmlFor', 'title', 'maxLength']);

// h('tag', {class, tid, on: {click: fn}, attr: value}, child...):
// children that are strings or numbers become text nodes.
export function h(tag, props, ...kids) {
	const el = document.createElement(tag);
	setProps(el, props);
	add(el, kids);
	return el;
}

const SVGNS = 'http://www.w3.org/2000/svg';

export function svg(tag, props, ...kids) {
	const el = document.createElementNS(SVGNS, tag);
	setProps(el, props);
	add(el, kids);
	return el;
}

function setProps(el, props) {
	if (!props)
		return;
	for (const [k, v] of Object.entries(props)) {
		if (v === undefined || v === null || v === false)
			continue;
		if (k === 'class')
			el.setAttribute('class', v);
		else if (k === 'tid')
			el.setAttribute('data-testid', v);
		else if (k === 'on')
			for (const [ev, fn] of Object.entries(v))
				el.addEventListener(ev, fn);
		else if (k === 'text')
			el.textContent = String(v);
		else if (PROPS.has(k) && !(el instanceof SVGElement))
			el[k] = v;
		else
			el.setAttribute(k, v === true ? '' : String(v));
	}
}

export function add(el, kids) {
	for (const k of kids.flat(Infinity)) {
		if (k === null || k === undefined || k === false)
			continue;
		el.append(k instanceof Node ? k : document.createTextNode(String(k)));
	}
	return el;
}

export function clear(el) {
	while (el.firstChild)
		el.removeChild(el.firstChild);
	return el;
}

// A link inside the console: always "#/..." with every part encoded.
export function route(path, params) {
	let q = '';
	if (params) {
		const u = new URLSearchParams();
		for (const [k, v] of Object.entries(params))
			if (v !== undefined && v !== null && v !== '')
				u.set(k, String(v));
		q = u.toString();
	}
	return '#/' + path + (q ? '?' + q : '');
}

export function link(path, params, text, props) {
	return h('a', Object.assign({ href: route(path, params) }, props || {}),
		text);
}

// ---- formatting ----

const pad = (n, w = 2) => String(n).padStart(w, '0');

// Local time with the ISO date: "2026-12-01 21:40:03".
export function fmtTime(t) {
	if (t === undefined || t === null || t === '' || t === 0)
		return '\u2013';
	let d;
	if (typeof t === 'number')
		d = new Date(t * 1000);
	else
		d = new Date(t);
	if (isNaN(d.getTime()))
		return String(t);
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
		`${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// The value of a datetime-local input for a Unix time (local, minutes).
export function toLocalInput(t) {
	const d = new Date(t * 1000);
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
		`T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// A datetime-local value (local time) as Unix seconds, or NaN.
export function fromLocalInput(v) {
	if (!v)
		return NaN;
	return Math.floor(new Date(v).getTime() / 1000);
}

export function fmtBytes(n) {
	if (typeof n !== 'number' || !isFinite(n))
		return n === undefined || n === null ? '\u2013' : String(n);
	const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let i = 0;
	while (n >= 1024 && i < u.length - 1) {
		n /= 1024;
		i++;
	}
	return (i ? n.toFixed(n < 10 ? 1 : 0) : String(n)) + ' ' + u[i];
}

export function fmtNum(n) {
	return typeof n === 'number' ? n.toLocaleString('en-US') : '\u2013';
}

export function shortId(id) {
	id = String(id || '');
	const s = id.startsWith('sha256:') ? id.slice(7) : id;
	return /^[0-9a-f]{16,}$/.test(s) ? s.slice(0, 12) : id;
}

export const str = (v) => (v === undefined || v === null ? '' : String(v));

export function dash(v) {
	const s = str(v);
	return s === '' ? '\u2013' : s;
}

// A text cell that may be cut by the column: its whole value on hover.
export function cell(value, props) {
	const s = dash(value);
	return h('td', Object.assign({ title: s }, props || {}), s);
}

export function badge(text, kind) {
	return h('span', { class: 'badge badge-' + (kind || str(text).replace(/[^a-z0-9-]/gi, '')) },
		dash(text));
}

// ---- the API ----

// fleet: the console serves many hosts (egressd-console --fleet-dsn):
// the pages then show each row's host, and a hosts page.
export const session = { user: null, csrf: null, expires: 0, fleet: false };

export class ApiError extends Error {
	constructor(status, message, body) {
		super(message);
		this.status = status;
		this.body = body;
	}
}

let unauthorized = () => {};

export function onUnauthorized(fn) {
	unauthorized = fn;
}

// Answers the parsed body of a 2xx answer (a batch may be "ok": false
// with its results); throws ApiError with the server's sentence else.
export async function api(method, path, body) {
	const opt = {
		method,
		credentials: 'same-origin',
		cache: 'no-store',
		redirect: 'error',
		headers: { Accept: 'application/json' },
	};
	if (body !== undefined) {
		opt.headers['Content-Type'] = 'application/json';
		opt.body = JSON.stringify(body);
	}
	if (method !== 'GET' && method !== 'HEAD' && session.csrf)
		opt.headers['X-CSRF-Token'] = session.csrf;
	let res;
	try {
		res = await fetch(path, opt);
	} catch (e) {
		throw new ApiError(0, 'The console cannot be reached (' + e.message + ').');
	}
	let data = null;
	try {
		data = await res.json();
	} catch (e) {
		data = null;
	}
	const said = data && typeof data.error === 'string' && data.error;
	if (res.status === 401 && path !== '/api/login') {
		const e = new ApiError(401, said || 'Your session has ended: log in again.', data);
		e.silent = true;
		unauthorized(e.message);
		throw e;
	}
	if (!res.ok) {
		let msg = said || `${res.status} ${res.statusText || 'error'}`;
		const ra = res.headers.get('Retry-After');
		if (res.status === 429 && ra)
			msg += ` (try again in ${ra} s)`;
		throw new ApiError(res.status, msg, data);
	}
	if (!data || typeof data !== 'object')
		throw new ApiError(res.status, 'The console answered something that is not JSON.');
	return data;
}

export function query(params) {
	const u = new URLSearchParams();
	for (const [k, v] of Object.entries(params))
		if (v !== undefined && v !== null && v !== '')
			u.set(k, String(v));
	const s = u.toString();
	return s ? '?' + s : '';
}

// ---- the message bar ----

let msgTimer = null;

// kind: error, warn, ok. details: lines shown under the sentence.
export function showMsg(kind, text, details) {
	const bar = document.getElementById('msgbar');
	clearTimeout(msgTimer);
	bar.dataset.kind = kind;
	bar.dataset.hash = location.hash;
	bar.className = 'msgbar msg-' + kind;
	document.getElementById('msgbar-text').textContent = text;
	const ul = clear(document.getElementById('msgbar-details'));
	for (const d of details || [])
		ul.append(h('li', null, d));
	bar.hidden = false;
	// Success fades; a problem stays until dismissed or replaced.
	if (kind === 'ok')
		msgTimer = setTimeout(hideMsg, 8000);
}

export function hideMsg() {
	clearTimeout(msgTimer);
	const bar = document.getElementById('msgbar');
	bar.hidden = true;
	bar.dataset.kind = '';
}

// The error of a failed call, unless it was a 401 (the login form shows).
export function showError(e, prefix) {
	if (e && e.silent)
		return;
	const m = e && e.message ? e.message : String(e);
	showMsg('error', prefix ? prefix + ': ' + m : m);
}

// The per-item results of a batch: a sentence and the failures.
export function showResults(what, answer) {
	const res = Array.isArray(answer.results) ? answer.results : [];
	const bad = res.filter((r) => r.result !== 'done' && r.result !== 'removed' &&
		r.result !== 'added' && r.result !== 'pending');
	// Fleet mode: a host that has not run its command yet.
	const pending = res.filter((r) => r.result === 'pending');
	if (!bad.length && pending.length && answer.ok !== false) {
		showMsg('warn', `${what}: ${res.length - pending.length} done, ${pending.length} pending on their host.`,
			pending.map((r) => `id ${str(r.id)}: ${str(r.error)}`));
		return;
	}
	if (!bad.length && answer.ok !== false) {
		showMsg('ok', `${what}: ${res.length} done.`);
		return;
	}
	showMsg('error', `${what}: ${bad.length} of ${res.length} failed.`,
		bad.map((r) => `${r.id !== undefined ? 'id ' + r.id : str(r.pattern)}: ` +
			`${str(r.result)}${r.error ? ' \u2013 ' + r.error : ''}`));
}

// ---- dialogs ----

// Resolves to {note} when confirmed, null when cancelled.
export function confirmDialog({ title, text, ok, danger, note, notePlaceholder }) {
	const dlg = document.getElementById('dlg-confirm');
	const form = document.getElementById('dlg-confirm-form');
	const okBtn = document.getElementById('dlg-confirm-ok');
	const cancel = document.getElementById('dlg-confirm-cancel');
	const noteRow = document.getElementById('dlg-confirm-note-row');
	const noteIn = document.getElementById('dlg-confirm-note');
	document.getElementById('dlg-confirm-title').textContent = title;
	document.getElementById('dlg-confirm-text').textContent = text;
	okBtn.textContent = ok || 'OK';
	okBtn.className = 'btn ' + (danger ? 'btn-danger' : 'btn-primary');
	noteRow.hidden = !note;
	noteIn.value = '';
	noteIn.placeholder = notePlaceholder || '';
	return new Promise((resolve) => {
		let done = false;
		const finish = (v) => {
			if (done)
				return;
			done = true;
			form.removeEventListener('submit', onSubmit);
			cancel.removeEventListener('click', onCancel);
			dlg.removeEventListener('close', onClose);
			if (dlg.open)
				dlg.close();
			resolve(v);
		};
		const onSubmit = (ev) => {
			ev.preventDefault();
			finish({ note: noteIn.value.trim() });
		};
		const onCancel = () => finish(null);
		const onClose = () => finish(null);
		form.addEventListener('submit', onSubmit);
		cancel.addEventListener('click', onCancel);
		dlg.addEventListener('close', onClose);
		dlg.showModal();
		(note ? noteIn : cancel).focus();
	});
}

// A button that is disabled while its action runs.
export function button(label, props, action) {
	const b = h('button', Object.assign({ type: 'button', class: 'btn' }, props || {}), label);
	if (action)
		b.addEventListener('click', async (ev) => {
			ev.preventDefault();
			ev.stopPropagation();
			if (b.disabled)
				return;
			b.disabled = true;
			b.setAttribute('aria-busy', 'true');
			try {
				await action(ev);
			} catch (e) {
				showError(e);
			} finally {
				b.disabled = false;
				b.removeAttribute('aria-busy');
			}
		});
	return b;
}

export function section(title, props, ...kids) {
	return h('section', Object.assign({ class: 'card' }, props || {}),
		title ? h('h2', null, title) : null, kids);
}

// A definition list from [label, value-or-node] pairs.
export function facts(pairs, props) {
	const dl = h('dl', Object.assign({ class: 'facts' }, props || {}));
	for (const [label, v, tid] of pairs) {
		dl.append(h('dt', null, label));
		dl.append(h('dd', tid ? { tid } : null, v instanceof Node ? v : dash(v)));
	}
	return dl;
}

// The categories' colours: one of eight classes, stable for a name.
const KNOWN = ['c2', 'mining-pool', 'malware-download', 'phishing', 'blacklist'];

export function catClass(cat) {
	const i = KNOWN.indexOf(cat);
	if (i >= 0)
		return 'cat-' + i;
	let x = 0;
	for (const ch of str(cat))
		x = (x * 31 + ch.charCodeAt(0)) >>> 0;
	return 'cat-' + (KNOWN.length + (x % 3));
}
