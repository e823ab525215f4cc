// SPDX-License-Identifier: GPL-2.0-or-later
// The console's entry: the session (login, logout, a 401 anywhere), the
// hash routes and the top bar.
import { h, api, session, onUnauthorized, showMsg, hideMsg, showError } from './core.js';
import { overview } from './overview.js';
import { eventsList, eventDetail } from './events.js';
import { containers, image, lists, audit } from './pages.js';
import { hosts } from './hosts.js';

const ROUTES = [
	[/^overview$/, overview, 'overview', 'Overview'],
	[/^events$/, eventsList, 'events', 'Events'],
	[/^events\/(\d+)$/, eventDetail, 'events', 'Event'],
	[/^containers$/, containers, 'containers', 'Containers'],
	[/^images\/(.+)$/, image, 'containers', 'Image'],
	[/^lists$/, lists, 'lists', 'Lists'],
	[/^audit$/, audit, 'audit', 'Audit log'],
	[/^hosts$/, hosts, 'hosts', 'Hosts'],
];

const $ = (id) => document.getElementById(id);
let renderSeq = 0;

function parseHash() {
	const raw = location.hash.replace(/^#\/?/, '');
	const qi = raw.indexOf('?');
	const path = qi < 0 ? raw : raw.slice(0, qi);
	const params = new URLSearchParams(qi < 0 ? '' : raw.slice(qi + 1));
	return { path: path.replace(/\/+$/, ''), params };
}

function setNav(key) {
	for (const a of document.querySelectorAll('#nav a'))
		a.classList.toggle('active', a.dataset.nav === key);
}

// Renders the route into a detached element and swaps it in, unless a
// newer navigation started meanwhile.
async function render() {
	if (!session.user)
		return;
	const seq = ++renderSeq;
	const { path, params } = parseHash();
	const r = ROUTES.find(([re]) => re.test(path));
	if (!r) {
		location.replace('#/overview');
		return;
	}
	const [re, fn, nav, title] = r;
	const args = re.exec(path).slice(1).map((s) => {
		try {
			return decodeURIComponent(s);
		} catch (e) {
			return s;
		}
	});
	setNav(nav);
	document.title = title + ' \u2013 egressd console';
	const main = $('main');
	main.setAttribute('aria-busy', 'true');
	const box = h('div', { class: 'view', 'data-route': nav, tid: 'view-' + nav });
	const ctx = { params, args, main: box, refresh: () => (seq === renderSeq ? render() : Promise.resolve()) };
	try {
		await fn(ctx);
	} catch (e) {
		if (seq !== renderSeq)
			return;
		showError(e);
		box.replaceChildren(h('h1', null, title), h('p', { class: 'muted', tid: 'view-error' },
			e && e.silent ? '' : 'This page could not be loaded: ' + (e && e.message ? e.message : String(e))));
	}
	if (seq !== renderSeq)
		return;
	main.replaceChildren(box);
	main.removeAttribute('aria-busy');
	main.dataset.rendered = String(seq);
}

function showApp() {
	$('login').hidden = true;
	$('topbar').hidden = false;
	$('main').hidden = false;
	$('topbar-user').textContent = session.user;
}

function showLogin(why) {
	session.user = null;
	session.csrf = null;
	renderSeq++;
	$('topbar').hidden = true;
	$('main').hidden = true;
	$('main').replaceChildren();
	$('login').hidden = false;
	$('login-pass').value = '';
	$('login-error').textContent = why || '';
	for (const d of document.querySelectorAll('dialog[open]'))
		d.close();
	document.title = 'Log in \u2013 egressd console';
	($('login-user').value ? $('login-pass') : $('login-user')).focus();
}

function startSession(a) {
	session.user = String(a.user || '');
	session.csrf = String(a.csrf || '');
	session.expires = Number(a.expires) || 0;
	session.fleet = a.fleet === true;
	$('nav-hosts').hidden = !session.fleet;
	showApp();
	if (!location.hash || location.hash === '#' || location.hash === '#/')
		location.replace('#/overview');
	render();
}

async function login(ev) {
	ev.preventDefault();
	const btn = $('login-submit');
	btn.disabled = true;
	$('login-error').textContent = '';
	try {
		const a = await api('POST', '/api/login', { username: $('login-user').value, password: $('login-pass').value });
		hideMsg();
		startSession(a);
	} catch (e) {
		$('login-pass').value = '';
		$('login-error').textContent = e.message;
		showMsg('error', e.message);
		$('login-pass').focus();
	} finally {
		btn.disabled = false;
	}
}

async function logout() {
	try {
		await api('POST', '/api/logout');
	} catch (e) {
		if (!e.silent)
			showError(e, 'Logout');
	}
	hideMsg();
	showLogin('Logged out.');
}

async function boot() {
	onUnauthorized((why) => {
		if (session.user)
			showMsg('error', why);
		showLogin(why);
	});
	$('login-form').addEventListener('submit', login);
	$('logout').addEventListener('click', logout);
	$('msgbar-close').addEventListener('click', hideMsg);
	window.addEventListener('hashchange', () => {
		// A message belongs to the page it was said on: a real
		// navigation drops a success, keeps a problem until dismissed.
		const bar = $('msgbar');
		if (bar.dataset.kind === 'ok' && bar.dataset.hash !== location.hash)
			hideMsg();
		render();
	});
	try {
		const a = await api('GET', '/api/session');
		startSession(a);
	} catch (e) {
		if (!e.silent) {
			showError(e);
			showLogin('');
		}
	}
}

boot();
