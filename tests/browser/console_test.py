#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The egressd console in a real browser (headless Chromium, Selenium).

Logs in, walks every screen, handles events, isolates and gives back a
container, adds and removes list entries, and compares what the browser
shows with what `egressctl --json` says. Each check prints "ok - NAME" or
"not ok - NAME: why"; the exit status is 1 if any failed. A check that
cannot run on the data at hand prints "# skip NAME: why" (never "ok").

    console_test.py --url http://127.0.0.1:8080/ --user alice --password-file F \
        --egressctl build/egressctl --socket S/ctl.sock --screenshots DIR \
        [--container NAME] [--whitelist-domain NAME] [--image KEY] \
        [--after-whitelist CMD] [--after-isolate CMD] [--after-unisolate CMD]

The --after-* commands (sh -c) run at those moments, e.g. to check the
network effect of the change; their exit status is a check of its own.
They get CONSOLE_TEST_PATTERN, _SUBJECT and _CONTAINER (whitelist) or
CONSOLE_TEST_CONTAINER and _CONTAINER_ID (isolate, unisolate).
Debian: python3-selenium, chromium, chromium-driver. Run with
/usr/bin/python3.
"""
import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

HOSTILE = '<img src=x onerror=window.__pwned=1>'
CSP_WANT = ["default-src 'none'", "script-src 'self'", "style-src 'self'",
            "frame-ancestors 'none'", "base-uri 'none'"]
W, H = 1280, 800


class Failed(Exception):
    pass


class Run:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def ok(self, name):
        self.passed += 1
        print(f'ok - {name}', flush=True)

    def bad(self, name, why):
        self.failed += 1
        why = ' '.join(str(why).split())
        print(f'not ok - {name}: {why}', flush=True)

    def skip(self, name, why):
        print(f'# skip {name}: {why}', flush=True)

    def check(self, name, fn, *a):
        """Runs fn; a Failed or any exception is a failure. Returns
        whether it passed."""
        try:
            fn(*a)
        except Failed as e:
            self.bad(name, e)
            return False
        except Exception as e:  # a broken page is a failure, not a crash
            self.bad(name, f'{type(e).__name__}: {e}')
            traceback.print_exc(file=sys.stderr)
            return False
        self.ok(name)
        return True


def need(cond, why):
    if not cond:
        raise Failed(why)


def wait_for(fn, what, timeout=10.0, every=0.1):
    """Polls fn until it returns something true; Failed after timeout."""
    end = time.monotonic() + timeout
    last = None
    while True:
        try:
            v = fn()
            if v:
                return v
        except WebDriverException as e:
            last = e
        if time.monotonic() > end:
            raise Failed(f'timed out waiting for {what}' + (f' ({last.msg})' if last else ''))
        time.sleep(every)


# ---- egressctl ----

class Ctl:
    def __init__(self, path, socket):
        self.base = [path, '--socket', socket]

    def __call__(self, *args):
        p = subprocess.run(self.base + ['--json'] + list(args), capture_output=True,
                           text=True, timeout=30)
        try:
            return json.loads(p.stdout)
        except ValueError:
            raise Failed(f'egressctl {" ".join(args)}: no JSON (exit {p.returncode}): '
                         f'{p.stdout[:200]} {p.stderr[:200]}')

    def events(self, *args):
        a = self('events', *args, '--limit', '1000')
        need(a.get('ok'), f'egressctl events {args}: {a.get("error")}')
        return a['events'], a.get('total', len(a['events']))

    def event(self, eid):
        a = self('events', 'show', str(eid))
        return a.get('event') if a.get('ok') else None

    def list_entries(self, which):
        a = self(which, 'list')
        need(a.get('ok'), f'egressctl {which} list: {a.get("error")}')
        return a.get('entries', [])

    def container(self, cid):
        a = self('containers')
        for k in a.get('containers', []):
            if k.get('id') == cid or k.get('name') == cid:
                return k
        return None


def covers(pattern, subject):
    if pattern == subject:
        return True
    return pattern.startswith('*.') and subject.endswith(pattern[1:]) and len(subject) > len(pattern) - 1


# ---- the browser ----

def browser(args, profile):
    o = webdriver.ChromeOptions()
    o.binary_location = args.chromium
    o.add_argument('--headless=new')
    if os.geteuid() == 0:  # Chromium refuses to run as root with its sandbox
        o.add_argument('--no-sandbox')
    for f in ('--disable-background-networking', '--disable-component-update',
              '--no-first-run', '--disable-sync', '--disable-default-apps',
              '--disable-extensions', '--no-default-browser-check',
              '--disable-dev-shm-usage', '--disable-features=Translate,MediaRouter',
              '--metrics-recording-only', '--password-store=basic',
              '--disable-domain-reliability', '--disable-breakpad',
              '--disable-client-side-phishing-detection',
              # No name but the console's resolves: nothing else is reached.
              f'--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {urllib.parse.urlsplit(args.url).hostname}',
              f'--window-size={W},{H}', f'--user-data-dir={profile}'):
        o.add_argument(f)
    o.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    d = webdriver.Chrome(service=Service(executable_path=args.chromedriver), options=o)
    d.execute_cdp_cmd('Emulation.setDeviceMetricsOverride',
                      {'width': W, 'height': H, 'deviceScaleFactor': 1, 'mobile': False})
    d.set_script_timeout(20)
    return d


class Page:
    """The console in the browser: navigation, elements by data-testid."""

    def __init__(self, d, url, shots):
        self.d = d
        self.url = url
        self.shots = shots
        self.nshot = 0
        self.wide = []
        self.logs = []

    def tid(self, t, within=None):
        return (within or self.d).find_elements(By.CSS_SELECTOR, f'[data-testid="{t}"]')

    def one(self, t, within=None):
        e = self.tid(t, within)
        need(e, f'no element [data-testid={t}]')
        return e[0]

    def js(self, src, *a):
        return self.d.execute_script(src, *a)

    def fetch(self, method, path, body=None, headers=None):
        """fetch() from the page (its cookie, no CSRF header unless given)."""
        return self.d.execute_async_script('''
            const [m, p, b, hd, done] = arguments;
            const o = {method: m, credentials: 'same-origin', headers: Object.assign({}, hd || {})};
            if (b !== null) { o.body = JSON.stringify(b); o.headers['Content-Type'] = 'application/json'; }
            fetch(p, o).then(async (r) => { let j = null; try { j = await r.json(); } catch (e) {}
                done({status: r.status, body: j}); }, (e) => done({status: -1, body: String(e)}));
        ''', method, path, body, headers)

    def rendered(self):
        return self.js('return document.getElementById("main").dataset.rendered || ""')

    def settle(self, before, what='the page'):
        """Waits for a render newer than `before`, then for it to finish."""
        wait_for(lambda: self.rendered() != before and
                 not self.js('return document.getElementById("main").hasAttribute("aria-busy")'),
                 what)
        time.sleep(0.05)

    def go(self, hash_):
        self.js('for (const x of document.querySelectorAll("dialog[open]")) x.close()')
        before = self.rendered()
        if self.js('return location.hash') == hash_:
            self.js('window.dispatchEvent(new HashChangeEvent("hashchange"))')
        else:
            self.js('location.hash = arguments[0]', hash_)
        self.settle(before, hash_)

    def click(self, el):
        self.js('arguments[0].scrollIntoView({block: "center"})', el)
        el.click()

    def click_render(self, el, what):
        before = self.rendered()
        self.click(el)
        self.settle(before, what)

    def msg(self):
        bar = self.d.find_element(By.ID, 'msgbar')
        if not bar.is_displayed():
            return None, ''
        return bar.get_attribute('data-kind'), bar.text

    def wait_msg(self, what, kinds=('ok', 'warn')):
        k, t = wait_for(lambda: (lambda m: m if m[0] else None)(self.msg()), f'the message bar ({what})')
        need(k in kinds, f'message bar says {k}: {t}')
        return t

    def dialog(self, did):
        return wait_for(lambda: self.js('const d = document.getElementById(arguments[0]); return d && d.open ? d : null', did),
                        f'dialog #{did}')

    def shot(self, name):
        """A PNG of the viewport; notes a page wider than the window."""
        self.nshot += 1
        path = os.path.join(self.shots, f'{self.nshot:02d}-{name}.png')
        self.d.save_screenshot(path)
        sw, iw = self.js('return [document.documentElement.scrollWidth, window.innerWidth]')
        if sw > iw:
            self.wide.append(f'{name}: {sw} px wide in {iw}')
        return path

    def drain_logs(self):
        try:
            self.logs += self.d.get_log('browser')
        except WebDriverException:
            pass


def png_size(path):
    with open(path, 'rb') as f:
        head = f.read(24)
    need(head[:8] == b'\x89PNG\r\n\x1a\n', f'{path} is no PNG')
    return struct.unpack('>II', head[16:24])


def rows(p):
    return p.d.find_elements(By.CSS_SELECTOR, 'tr[data-event-id]')


def total(p):
    return int(p.one('ev-total').get_attribute('data-total'))


# ---- the checks ----

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--url', required=True)
    ap.add_argument('--user', required=True)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument('--password')
    g.add_argument('--password-file')
    ap.add_argument('--egressctl', required=True)
    ap.add_argument('--socket', required=True)
    ap.add_argument('--screenshots', required=True)
    ap.add_argument('--container', help='container for the filter and isolation checks')
    ap.add_argument('--whitelist-domain', help='subject of the event to whitelist')
    ap.add_argument('--image', help='image page to open (id or name) if no event links one')
    ap.add_argument('--only-image', metavar='IMAGE',
                    help='log in and check only the image page of IMAGE against egressctl image')
    ap.add_argument('--after-whitelist')
    ap.add_argument('--after-isolate')
    ap.add_argument('--after-unisolate')
    ap.add_argument('--chromium', default='/usr/lib/chromium/chromium'
                    if os.path.exists('/usr/lib/chromium/chromium') else '/usr/bin/chromium')
    ap.add_argument('--chromedriver', default='/usr/bin/chromedriver')
    args = ap.parse_args()
    if args.password_file:
        with open(args.password_file) as f:
            args.password = f.read().rstrip('\n')
    os.makedirs(args.screenshots, exist_ok=True)
    if not args.url.endswith('/'):
        args.url += '/'

    ctl = Ctl(args.egressctl, args.socket)
    return in_browser(args, 'console test', lambda run, p: checks(run, p, ctl, args))


def in_browser(args, name, body):
    """Runs body(run, page) in a fresh headless browser, then the checks
    every run ends with: no CSP violation or script error, no horizontal
    scrolling, the screenshots' size. Returns the exit status."""
    run = Run()
    profile = tempfile.mkdtemp(prefix='egressd-console-test-')
    d = None
    try:
        d = browser(args, profile)
        p = Page(d, args.url, args.screenshots)
        body(run, p)
        p.drain_logs()
        run.check('no CSP violation or script error in the console', console_clean, p)
        run.check(f'no horizontal scrolling at {W} px', lambda: need(not p.wide, '; '.join(p.wide)))
        run.check(f'screenshots are {W}x{H} PNGs', shots_ok, args.screenshots, p.nshot)
    except Failed as e:
        run.bad(name, e)
    except Exception as e:
        run.bad(name, f'{type(e).__name__}: {e}')
        traceback.print_exc(file=sys.stderr)
    finally:
        if d:
            try:
                d.quit()
            except Exception:
                pass
        shutil.rmtree(profile, ignore_errors=True)
    print(f'# {run.passed} passed, {run.failed} failed', flush=True)
    return 1 if run.failed else 0


def console_clean(p):
    bad = []
    for e in p.logs:
        m = e.get('message', '')
        # Our own refused fetches (401, 403, the wrong login) log this.
        if 'Failed to load resource' in m:
            continue
        if e.get('level') == 'SEVERE' or 'Content Security Policy' in m or 'Uncaught' in m:
            bad.append(m[:200])
    need(not bad, ' | '.join(bad[:5]))


def shots_ok(dirname, n):
    need(n > 0, 'no screenshot taken')
    for f in sorted(os.listdir(dirname)):
        if f.endswith('.png'):
            size = png_size(os.path.join(dirname, f))
            need(size == (W, H), f'{f} is {size[0]}x{size[1]}')


def hook(run, name, cmd, **env):
    """Runs cmd (sh -c) with CONSOLE_TEST_<KEY> set for each env item."""
    if not cmd:
        return
    e = dict(os.environ, **{'CONSOLE_TEST_' + k.upper(): str(v) for k, v in env.items()})
    r = subprocess.run(['sh', '-c', cmd], capture_output=True, text=True, timeout=120, env=e)
    if r.returncode == 0:
        run.ok(name)
    else:
        run.bad(name, f'exit {r.returncode}: {(r.stdout + r.stderr).strip()[-300:]}')


def image_vs_ctl(p, ctl, ref):
    """The image page shows what `egressctl image` says: its id, every
    layer's command, and the containers that run it."""
    a = ctl('image', ref)
    need(a.get('ok'), f'egressctl image {ref}: {a.get("error")}')
    im = a['image']
    p.go('#/images/' + urllib.request.quote(ref, safe=''))
    wait_for(lambda: p.tid('image-facts'), 'the image facts')
    page = ' '.join(p.one('image-facts').text.split())
    need(im['id'].split(':')[-1][:12] in page, f'id {im["id"]} not in {page[:200]!r}')
    cmds = [' '.join(c.text.split()) for c in p.tid('layer-cmd')]
    need(len(cmds) == len(im['history']), f'{len(cmds)} layers shown, egressctl has {len(im["history"])}')
    for l in im['history']:
        want_cmd = ' '.join(l['created_by'].split()) or '\u2013'  # an imported layer has none
        # the cell is the command, then the layer's comment
        need(any(c.startswith(want_cmd) for c in cmds), f'layer {want_cmd!r} not in {cmds}')
    names = {c.text.strip() for c in p.tid('image-container')}
    want = {c['name'] for c in im['containers']}
    need(names == want, f'containers shown {sorted(names)}, egressctl {sorted(want)}')
    p.shot('image')


def checks(run, p, ctl, args):
    d = p.d

    # -- before logging in --
    def csp_header():
        try:
            r = urllib.request.urlopen(p.url, timeout=10)
        except urllib.error.HTTPError as e:
            r = e
        csp = r.headers.get('Content-Security-Policy', '')
        for w in CSP_WANT:
            need(w in csp, f'CSP lacks "{w}": {csp!r}')
    run.check('the page is served with the Content-Security-Policy', csp_header)

    def no_inline():
        html = urllib.request.urlopen(p.url, timeout=10).read().decode()
        need(not re.search(r'<script(?![^>]*\bsrc=)[^>]*>', html), 'an inline <script>')
        need(not re.search(r'\son[a-z]+\s*=', html, re.I), 'an inline event handler')
        need(not re.search(r'\sstyle\s*=|<style', html, re.I), 'an inline style')
        todo = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
        need(todo, 'no script')
        seen = set()
        while todo:
            src = urllib.parse.urljoin(p.url, todo.pop())
            if src in seen:
                continue
            seen.add(src)
            js = urllib.request.urlopen(src, timeout=10).read().decode()
            for bad in ('innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function'):
                need(bad not in js, f'{src} uses {bad}')
            todo += [urllib.parse.urljoin(src, m) for m in re.findall(r'^import[^;]*?from\s+[\'"]([^\'"]+)[\'"]', js, re.M)]
        need(len(seen) > 1, f'only {sorted(seen)}')
    run.check('no inline script, handler or style; no HTML built from strings', no_inline)

    def login_shown():
        d.get(p.url)
        wait_for(lambda: d.find_element(By.ID, 'login').is_displayed(), 'the login form')
        need(not d.find_element(By.ID, 'main').is_displayed(), 'the app shows without a session')
    run.check('without a session the login form shows', login_shown)
    p.shot('login')

    def no_session_401():
        for path in ('/api/overview', '/api/events', '/api/containers', '/api/session'):
            r = p.fetch('GET', path)
            need(r['status'] == 401, f'GET {path} without a session: {r["status"]}')
        r = p.fetch('POST', '/api/blacklist', {'text': 'ui-nosession.example'})
        need(r['status'] in (401, 403), f'POST /api/blacklist without a session: {r["status"]}')
    run.check('the API without a session is refused (401)', no_session_401)

    def wrong_password():
        p.one('login-user').clear()
        p.one('login-user').send_keys(args.user)
        p.one('login-pass').send_keys(args.password + '-wrong')
        p.one('login-submit').click()
        wait_for(lambda: p.one('login-error').text.strip(), 'the login error')
        k, t = p.msg()
        need(k == 'error' and t, f'message bar: {k} {t!r}')
        need(d.find_element(By.ID, 'login').is_displayed(), 'login form gone after a wrong password')
    run.check('a wrong password is refused with a message', wrong_password)

    def login():
        p.one('login-user').clear()
        p.one('login-user').send_keys(args.user)
        p.one('login-pass').clear()
        p.one('login-pass').send_keys(args.password)
        p.one('login-submit').click()
        wait_for(lambda: p.one('topbar-user').is_displayed(), 'the top bar')
        need(p.one('topbar-user').text == args.user, f'top bar user {p.one("topbar-user").text!r}')
        wait_for(lambda: p.tid('view-overview'), 'the overview')
    if not run.check('login', login):
        return
    if args.only_image:
        run.check(f'the image page of {args.only_image} equals egressctl image',
                  image_vs_ctl, p, ctl, args.only_image)
        return

    # -- overview --
    ov = ctl('events', 'overview')
    need(ov.get('ok'), f'egressctl events overview: {ov.get("error")}')
    ov = ov['overview']

    def overview_numbers():
        keys = {'pending': 'pending', 'containers': 'containers', 'events7d': 'events_7d', 'blocked7d': 'blocked_7d'}
        compared = 0
        for t, k in keys.items():
            shown = p.one(f'tile-{t}').get_attribute('data-value')
            text = p.one(f'tile-{t}-num').text.replace(',', '')
            need(shown == text or (shown == '' and text == '\u2013'), f'tile {t}: data-value {shown!r} but shows {text!r}')
            if k in ov:
                need(str(ov[k]) == shown, f'{k}: console {shown}, egressctl {ov[k]}')
                compared += 1
        need(compared >= 2, f'egressctl overview has only {sorted(ov)}')
    run.check('overview numbers equal egressctl events overview', overview_numbers)

    def overview_fields():
        want = ('pending', 'containers', 'events_7d', 'blocked_7d', 'days', 'top_domains', 'top_containers')
        missing = [k for k in want if k not in ov]
        need(not missing, f'egressctl events overview lacks {", ".join(missing)} (docs/api.md)')
    run.check('the overview has every field of docs/api.md', overview_fields)

    def trend():
        bars = p.tid('trend-bar')
        need(len(bars) == 7, f'{len(bars)} bars')
        need(p.js('return document.querySelector("[data-testid=trend-chart]") instanceof SVGSVGElement'), 'no SVG chart')
        if 'days' in ov:
            for b, day in zip(bars, ov['days']):
                need(b.get_attribute('data-day') == day['day'] and int(b.get_attribute('data-total')) == day['total'],
                     f'bar {b.get_attribute("data-day")}={b.get_attribute("data-total")}, egressctl {day}')
            cats = {c for day in ov['days'] for c, n in day.get('categories', {}).items() if n}
            legend = len(p.one('trend-legend').find_elements(By.TAG_NAME, 'li'))
            need(legend == len(cats), f'legend has {legend} categories, the days {len(cats)}')
    run.check('the 7-day trend chart has a bar per day, by category', trend)
    p.shot('overview')

    def top_domain_filters():
        links = p.tid('top-domain')
        need(links, 'no top domain shown')
        dom = links[0].text
        p.click_render(links[0], 'events of a top domain')
        need(p.one('ev-domain').get_attribute('value') == dom, 'the domain filter is not filled in')
        for r in rows(p):
            s = r.find_element(By.CSS_SELECTOR, '[data-testid=event-link]').text
            need(covers('*.' + dom, s) or s == dom, f'row {s} is not of {dom}')
        need(rows(p), 'no row for the top domain')
    if ov.get('top_domains'):
        run.check('a top domain opens its events', top_domain_filters)
    else:
        run.skip('a top domain opens its events', 'the overview lists no top domain')

    # -- events: ranges and filters --
    p.go('#/events')

    def default_range():
        need('active' in p.one('range-7d').get_attribute('class'), '7 days is not the default')
        _, n = ctl.events('--since', '7d')
        need(total(p) == n, f'console {total(p)}, egressctl {n}')
        shown = len(rows(p))
        need(shown == min(n, 50), f'{shown} rows for {n} events')
    run.check('events: the last 7 days by default, total equals egressctl', default_range)
    p.shot('events')

    def range_24h():
        p.click_render(p.one('range-24h'), 'the 24 h range')
        _, n = ctl.events('--since', '24h')
        need(total(p) == n, f'console {total(p)}, egressctl {n}')
        lim = time.time() - 86400 - 120
        for r in rows(p):
            need(int(r.get_attribute('data-last-seen')) >= lim, f'event {r.get_attribute("data-event-id")} is older than 24 h')
    run.check('events: 24 h preset', range_24h)

    def set_range(frm, to):
        p.js('''const [a, b, f, t] = arguments; a.value = f; b.value = t;
                for (const e of [a, b]) e.dispatchEvent(new Event('change', {bubbles: true}));''',
             p.one('ev-from'), p.one('ev-to'), frm, to)
        p.click_render(p.one('ev-apply'), 'a custom range')

    def custom_empty():
        set_range('2001-01-01T00:00', '2001-01-02T00:00')
        need('active' in p.one('range-custom').get_attribute('class'), 'custom is not marked')
        need(total(p) == 0 and p.tid('no-events'), f'{total(p)} events in 2001')
    run.check('events: a custom range with no events', custom_empty)

    def custom_now():
        lt = time.localtime(time.time() - 3 * 86400)
        frm = time.strftime('%Y-%m-%dT%H:%M', lt)
        to = time.strftime('%Y-%m-%dT%H:%M', time.localtime(time.time() + 3600))
        set_range(frm, to)
        h = p.js('return location.hash')
        q = dict(x.split('=', 1) for x in h.split('?', 1)[1].split('&'))
        need(q.get('range') == 'custom', f'hash {h}')
        _, n = ctl.events('--from', q['from'], '--to', q['to'])
        need(total(p) == n, f'console {total(p)}, egressctl {n} for {q["from"]}..{q["to"]}')
    run.check('events: a custom range of the last 3 days', custom_now)

    evs, _ = ctl.events('--since', '7d')
    cont = args.container or next((e['container_name'] for e in evs if e.get('container_name')), None)

    def container_filter():
        need(cont, 'no event with a container')
        p.go('#/events')
        box = p.one('ev-container')
        box.clear()
        box.send_keys(cont)
        p.click_render(p.one('ev-apply'), 'the container filter')
        _, n = ctl.events('--since', '7d', '--container', cont)
        need(total(p) == n, f'console {total(p)}, egressctl {n}')
        need(n > 0, f'no event of {cont}')
        for r in rows(p):
            need(r.get_attribute('data-container') == cont or r.get_attribute('data-container-id').startswith(cont),
                 f'row of {r.get_attribute("data-container")}')
    run.check('events: filter by container', container_filter)

    def status_filter():
        p.go('#/events?status=pending')
        need(p.one('ev-status').get_attribute('value') == 'pending', 'status select not set')
        _, n = ctl.events('--since', '7d', '--status', 'pending')
        need(total(p) == n, f'console {total(p)}, egressctl {n}')
        for r in rows(p):
            need(r.get_attribute('data-status') == 'pending', f'a {r.get_attribute("data-status")} row')
    run.check('events: filter by status', status_filter)

    def sort_by(key, attr, conv):
        def f():
            p.go('#/events')
            first = p.one('sort-' + key)
            p.click_render(first, f'sorted by {key}')
            a = [conv(r) for r in rows(p)]
            asc = 'sort=' + key in p.js('return location.hash')
            need(a == sorted(a, reverse=not asc), f'not {"ascending" if asc else "descending"}: {a[:8]}')
            p.click_render(p.one('sort-' + key), f'sorted by {key}, the other way')
            b = [conv(r) for r in rows(p)]
            need(b == sorted(b, reverse=asc), f'not {"descending" if asc else "ascending"}: {b[:8]}')
        return f
    subj = lambda r: r.find_element(By.CSS_SELECTOR, '[data-testid=event-link]').text
    if len({e['subject'] for e in evs[:50]}) > 1:
        run.check('events: sort by domain both ways', sort_by('domain', 'subject', subj))
    else:
        run.skip('events: sort by domain both ways', 'fewer than two domains')
    if len({e['count'] for e in evs[:50]}) > 1:
        run.check('events: sort by count both ways', sort_by('count', 'count', lambda r: int(r.get_attribute('data-count'))))
    else:
        run.skip('events: sort by count both ways', 'every event has the same count')

    def paging():
        p.go('#/events')
        n = total(p)
        p.click_render(p.one('ev-next'), 'page 2')
        t = p.one('ev-total')
        need(t.get_attribute('data-first') == '51', f'page 2 starts at {t.get_attribute("data-first")}')
        need(len(rows(p)) == min(50, n - 50), f'{len(rows(p))} rows on page 2 of {n}')
        ids2 = {r.get_attribute('data-event-id') for r in rows(p)}
        p.click_render(p.one('ev-prev'), 'page 1')
        ids1 = {r.get_attribute('data-event-id') for r in rows(p)}
        need(not ids1 & ids2, 'pages 1 and 2 share events')
        need(total(p) == n, 'the total changed between pages')
    if len(evs) > 50:
        run.check('events: paging by 50', paging)
    else:
        run.skip('events: paging by 50', f'only {len(evs)} events in 7 days')

    def select_all():
        p.go('#/events')
        allbox = p.one('ev-select-all')
        p.click(allbox)
        n = len(rows(p))
        need(p.one('bulk-count').text == f'{n} selected', f'bulk count {p.one("bulk-count").text!r} for {n} rows')
        need(all(c.is_selected() for c in p.tid('row-check')), 'a row is not checked')
        need(p.one('bulk-handled').is_enabled(), 'bulk buttons disabled')
        p.click(allbox)
        need(not any(c.is_selected() for c in p.tid('row-check')), 'a row stayed checked')
        need(not p.one('bulk-handled').is_enabled(), 'bulk buttons enabled with nothing selected')
    run.check('events: select all and none', select_all)

    # The events the later checks use: one to whitelist by a parent, one
    # whose container is isolated; the bulk checks take others.
    pending = [e for e in evs if e['status'] == 'pending']
    # The deepest name: its parent *.domain is the narrowest one offered.
    wl = None
    for e in sorted(pending, key=lambda e: -e['subject'].count('.')):
        if e['type'] == 'domain' and e['subject'].count('.') >= 2 and \
                (not args.whitelist_domain or e['subject'] == args.whitelist_domain):
            wl = e
            break
    iso = None
    for e in pending:
        if wl and e['id'] == wl['id']:
            continue
        if args.container and args.container not in (e['container_name'], e['container_id']):
            continue
        full = ctl.event(e['id'])
        now = (full or {}).get('container_now', {})
        if now.get('state') == 'running' and now.get('isolation') in ('none', 'restored'):
            iso = e
            break
    wl_pattern = ('*.' + wl['subject'].split('.', 1)[1]) if wl else None
    reserved = {e['id'] for e in (wl, iso) if e}
    spare = [e for e in pending if e['id'] not in reserved and not (wl_pattern and covers(wl_pattern, e['subject']))]

    def bulk_handled():
        ids = [e['id'] for e in spare[:2]]
        p.go('#/events?status=pending')
        for i in ids:
            r = wait_for(lambda: d.find_elements(By.CSS_SELECTOR, f'tr[data-event-id="{i}"]'), f'row {i}')[0]
            p.click(r.find_element(By.CSS_SELECTOR, '[data-testid=row-check]'))
        need(p.one('bulk-count').text == f'{len(ids)} selected', p.one('bulk-count').text)
        p.click_render(p.one('bulk-handled'), 'after bulk handled')
        p.wait_msg('bulk handled')
        for i in ids:
            st = (ctl.event(i) or {}).get('status')
            need(st == 'handled', f'event {i} is {st}')
            need(not d.find_elements(By.CSS_SELECTOR, f'tr[data-event-id="{i}"]'), f'event {i} still listed as pending')
    if len(spare) >= 3:
        run.check('events: bulk mark handled', bulk_handled)
    else:
        run.skip('events: bulk mark handled', f'{len(spare)} spare pending events')

    def bulk_delete():
        i = spare[2]['id']
        p.go('#/events?status=pending')
        r = wait_for(lambda: d.find_elements(By.CSS_SELECTOR, f'tr[data-event-id="{i}"]'), f'row {i}')[0]
        p.click(r.find_element(By.CSS_SELECTOR, '[data-testid=row-check]'))
        p.click(p.one('bulk-delete'))
        p.dialog('dlg-confirm')
        p.shot('events-delete-confirm')
        p.click(p.one('dlg-confirm-cancel'))
        need(ctl.event(i), f'event {i} deleted though cancelled')
        p.click(p.one('bulk-delete'))
        p.dialog('dlg-confirm')
        before = p.rendered()
        p.click(p.one('dlg-confirm-ok'))
        p.settle(before, 'after bulk delete')
        p.wait_msg('bulk delete')
        need(ctl.event(i) is None, f'event {i} still there')
    if len(spare) >= 3:
        run.check('events: bulk delete asks first, then deletes', bulk_delete)

    # -- one event --
    def open_event(e):
        p.go('#/events?' + ('domain=' + e['subject'] if e['type'] == 'domain' else 'container=' + e['container_id']))
        r = wait_for(lambda: d.find_elements(By.CSS_SELECTOR, f'tr[data-event-id="{e["id"]}"] [data-testid=event-link]'),
                     f'the link of event {e["id"]}')[0]
        p.click_render(r, f'event {e["id"]}')
        need(p.js('return location.hash') == f'#/events/{e["id"]}', p.js('return location.hash'))

    def detail():
        need(wl or iso, 'no pending event')
        e = wl or iso
        open_event(e)
        full = ctl.event(e['id'])
        need(full, f'egressctl events show {e["id"]}')
        need(p.one('event-subject').text == full['subject'], f'subject {p.one("event-subject").text!r}')
        need(p.one('ed-container-name').text == (full['container_name'] or '\u2013'), p.one('ed-container-name').text)
        need(p.one('ed-rule-pattern').text == full['rule_pattern'], p.one('ed-rule-pattern').text)
        need(p.one('ed-rule-category').text == (full['rule_category'] or '\u2013'), p.one('ed-rule-category').text)
        need(p.one('ed-count').text.replace(',', '') == str(full['count']), p.one('ed-count').text)
        need(p.one('ed-status').text == full['status'], p.one('ed-status').text)
        need(p.one('ed-risk').text.strip() and p.one('ed-remedy').text.strip(), 'no risk or remedy')
        now = full.get('container_now', {})
        need(p.one('ed-state-now').text == now.get('state', '\u2013'), p.one('ed-state-now').text)
        need(p.one('ed-isolation-now').text == now.get('isolation', '\u2013'), p.one('ed-isolation-now').text)
        procs = (full.get('detail') or {}).get('process') or []
        levels = p.tid('process-level')
        need(len(levels) == min(3, len(procs)), f'{len(levels)} process levels shown, {len(procs)} recorded')
        for lv, pr in zip(levels, procs):
            need(lv.get_attribute('data-pid') == str(pr['pid']), f'pid {lv.get_attribute("data-pid")} vs {pr["pid"]}')
            need(p.one('process-exe', lv).text == (pr.get('exe') or '\u2013'), p.one('process-exe', lv).text)
            shown = ' '.join(p.one('process-cmdline', lv).text.split())
            need(shown == (' '.join(str(pr.get('cmdline', '')).split()) or '\u2013'), f'cmdline {shown!r} vs {pr.get("cmdline")!r}')
        if not procs:
            need(p.tid('process-unknown'), 'no process and no reason shown')
        p.shot('event-detail')
    run.check('event details match egressctl events show', detail)

    hostile_ev = None
    for e in evs:
        procs = ((ctl.event(e['id']) or {}).get('detail') or {}).get('process') or []
        if any('<' in str(pr.get('cmdline', '')) for pr in procs):
            hostile_ev = (e, procs)
            break

    def hostile_traffic():
        e, procs = hostile_ev
        p.go(f'#/events/{e["id"]}')
        texts = [' '.join(c.text.split()) for c in p.tid('process-cmdline')]
        for pr in procs:
            if '<' in str(pr.get('cmdline', '')):
                need(' '.join(pr['cmdline'].split()) in texts, f'{pr["cmdline"]!r} not shown as text: {texts}')
        need(not d.find_elements(By.TAG_NAME, 'img'), 'an <img> element appeared')
        need(p.js('return typeof window.__pwned') == 'undefined', 'window.__pwned was set')
    if hostile_ev:
        run.check('markup in a command line from a container shows as text', hostile_traffic)
    else:
        run.skip('markup in a command line from a container shows as text', 'no event has "<" in a command line')

    def image_page():
        links = p.tid('ed-image-link')
        if links:
            p.click_render(links[0], 'the image page')
        else:
            p.go('#/images/' + urllib.request.quote(args.image, safe=''))
        ok = p.tid('image-id')
        if not ok:
            k, t = p.msg()
            raise Failed(f'no image facts; message: {k} {t}')
        need(p.one('image-id').text.strip() not in ('', '\u2013'), 'no image id')
        p.shot('image')
    if (wl or iso) and (p.tid('ed-image-link') or args.image):
        run.check('the image page', image_page)
    else:
        run.skip('the image page', 'no event links an image and no --image given')

    def whitelist_parent():
        need(wl, 'no pending domain event with a parent domain')
        open_event(wl)
        p.click(p.one('ed-whitelist'))
        p.dialog('dlg-whitelist')
        opts = [o.get_attribute('value') for o in p.one('wl-pattern').find_elements(By.TAG_NAME, 'option')]
        need(opts[0] == wl['subject'] and wl_pattern in opts, f'options {opts}')
        need(all(covers(o, wl['subject']) for o in opts), f'an option does not cover {wl["subject"]}: {opts}')
        need(all(o.count('.') >= 2 for o in opts[1:]), f'a whole top-level domain offered: {opts}')
        p.js('arguments[0].value = arguments[1]', p.one('wl-pattern'), wl_pattern)
        p.click(p.one('wl-all-pending'))
        p.one('wl-note').send_keys(HOSTILE)
        p.shot('whitelist-dialog')
        before_pending = [e for e in ctl.events('--status', 'pending', '--since', '3650d')[0]
                          if e['id'] != wl['id'] and covers(wl_pattern, e['subject'])]
        before = p.rendered()
        p.click(p.one('wl-submit'))
        p.settle(before, 'the event after whitelisting')
        t = p.wait_msg('whitelist')
        need(wl_pattern in t, f'message {t!r}')
        need(p.one('ed-status').text == 'whitelisted', f'status shown {p.one("ed-status").text}')
        ent = [x for x in ctl.list_entries('whitelist') if x['pattern'] == wl_pattern]
        need(ent, f'{wl_pattern} not in egressctl whitelist list')
        need(ent[0].get('note') == HOSTILE, f'note stored as {ent[0].get("note")!r}')
        need((ctl.event(wl['id']) or {}).get('status') == 'whitelisted', 'egressctl: event not whitelisted')
        for o in before_pending:
            st = (ctl.event(o['id']) or {}).get('status')
            need(st == 'whitelisted', f'pending event {o["id"]} ({o["subject"]}) is {st}')
    if run.check('whitelist from an event with a parent domain', whitelist_parent):
        hook(run, 'the --after-whitelist command passes', args.after_whitelist,
             pattern=wl_pattern, subject=wl['subject'], container=wl['container_name'])

    def isolate_from_event():
        need(iso, 'no pending event of a running, unisolated container')
        open_event(iso)
        p.click(p.one('ed-isolate'))
        p.dialog('dlg-confirm')
        p.shot('isolate-confirm')
        before = p.rendered()
        p.click(p.one('dlg-confirm-ok'))
        p.settle(before, 'the event after isolating')
        p.wait_msg('isolate')
        k = ctl.container(iso['container_id'])
        need(k and k['isolation']['state'] == 'isolated', f'egressctl containers: {k and k["isolation"]}')
        need(p.one('ed-isolation-now').text == 'isolated', f'isolation shown {p.one("ed-isolation-now").text}')
        need((ctl.event(iso['id']) or {}).get('status') == 'handled', 'the event is not handled')
    isolated = run.check('isolate a container from an event', isolate_from_event)
    if isolated:
        hook(run, 'the --after-isolate command passes', args.after_isolate,
             container=iso['container_name'], container_id=iso['container_id'])

    def containers_row(cid):
        return wait_for(lambda: d.find_elements(By.CSS_SELECTOR, f'tr[data-container-id="{cid}"]'), f'container row {cid}')[0]

    def unisolate_from_containers():
        cid = iso['container_id']
        p.go('#/containers')
        r = containers_row(cid)
        need(r.get_attribute('data-isolation') == 'isolated', f'row says {r.get_attribute("data-isolation")}')
        p.shot('containers')
        p.click(p.one('uniso-btn', r))
        p.dialog('dlg-confirm')
        p.one('dlg-confirm-note').send_keys(HOSTILE)
        before = p.rendered()
        p.click(p.one('dlg-confirm-ok'))
        p.settle(before, 'containers after unisolate')
        p.wait_msg('unisolate')
        k = ctl.container(cid)
        need(k and k['isolation']['state'] in ('none', 'restored'), f'egressctl: {k and k["isolation"]}')
        r = containers_row(cid)
        need(r.get_attribute('data-isolation') in ('none', 'restored'), r.get_attribute('data-isolation'))
        need(p.tid('iso-btn', r), 'no isolate button after unisolate')
    if isolated:
        if run.check('unisolate from the containers screen', unisolate_from_containers):
            hook(run, 'the --after-unisolate command passes', args.after_unisolate,
                 container=iso['container_name'], container_id=iso['container_id'])
    else:
        p.go('#/containers')
        p.shot('containers')

    def isolate_note_from_containers():
        cid = iso['container_id']
        p.go('#/containers')
        r = containers_row(cid)
        p.click(p.one('iso-btn', r))
        p.dialog('dlg-confirm')
        p.one('dlg-confirm-note').send_keys(HOSTILE)
        before = p.rendered()
        p.click(p.one('dlg-confirm-ok'))
        p.settle(before, 'containers after isolate')
        p.wait_msg('isolate')
        r = containers_row(cid)
        need(r.get_attribute('data-isolation') == 'isolated', r.get_attribute('data-isolation'))
        note = p.one('iso-note', r)
        need(note.text == HOSTILE, f'note shown as {note.text!r}')
        need(not r.find_elements(By.TAG_NAME, 'img'), 'the note became an <img>')
        p.shot('containers-isolated')
        p.click(p.one('uniso-btn', r))
        p.dialog('dlg-confirm')
        before = p.rendered()
        p.click(p.one('dlg-confirm-ok'))
        p.settle(before, 'containers after unisolate')
        k = ctl.container(cid)
        need(k and k['isolation']['state'] in ('none', 'restored'), f'egressctl: {k and k["isolation"]}')
    if isolated:
        run.check('isolate from the containers screen; its note shows as text', isolate_note_from_containers)

    # -- lists --
    added = {}

    def list_add():
        p.go('#/lists?tab=black')
        wait_for(lambda: p.tid('list-table'), 'the blacklist table')
        text = ('ui-added-1.example\n*.ui-added-2.example\n\n# a comment\n'
                'this is not a pattern!\nui-added-1.example\n')
        p.one('list-add-text').send_keys(text)
        p.one('list-add-note').send_keys(HOSTILE)
        p.click(p.one('list-add-submit'))
        res = wait_for(lambda: p.tid('add-result'), 'the per-line results')
        got = [(r.get_attribute('data-line'), r.get_attribute('data-result')) for r in res]
        want = [('1', 'added'), ('2', 'added'), ('5', 'invalid'), ('6', 'duplicate')]
        need(got == want, f'results {got}')
        err = res[2].find_elements(By.TAG_NAME, 'td')[3].text
        need(err.strip() not in ('', '\u2013'), 'no error for the bad line')
        k, t = p.msg()
        need(k == 'error' and '1' in t, f'message bar: {k} {t!r}')
        ent = {x['pattern']: x for x in ctl.list_entries('blacklist')}
        for pat in ('ui-added-1.example', '*.ui-added-2.example'):
            need(pat in ent, f'{pat} not in egressctl blacklist list')
            need(ent[pat].get('note') == HOSTILE, f'note of {pat}: {ent[pat].get("note")!r}')
            added[pat] = ent[pat]['id']
        wait_for(lambda: d.find_elements(By.CSS_SELECTOR, 'tr[data-pattern="ui-added-1.example"]'), 'the new entry in the table')
        p.shot('lists-black')
    run.check('lists: batch add reports added, duplicate and the bad line', list_add)

    def hostile_text():
        cells = [c for c in p.tid('list-note') if c.text == HOSTILE]
        need(cells, 'the hostile note is not shown as its characters')
        need(not d.find_elements(By.TAG_NAME, 'img'), 'an <img> element appeared')
        need(p.js('return typeof window.__pwned') == 'undefined', 'window.__pwned was set')
    run.check('a hostile note shows as text and runs nothing', hostile_text)

    def list_remove():
        need(added, 'nothing was added')
        for pat, eid in added.items():
            r = wait_for(lambda: d.find_elements(By.CSS_SELECTOR, f'tr[data-entry-id="{eid}"]'), f'row of {pat}')[0]
            p.click(p.one('list-remove', r))
            p.dialog('dlg-confirm')
            p.click(p.one('dlg-confirm-ok'))
            wait_for(lambda: not d.find_elements(By.CSS_SELECTOR, f'tr[data-entry-id="{eid}"]'), f'{pat} gone from the table')
            p.wait_msg('remove')
            need(pat not in {x['pattern'] for x in ctl.list_entries('blacklist')}, f'{pat} still in egressctl blacklist list')
    run.check('lists: remove entries', list_remove)

    def whitelist_tab():
        p.go('#/lists?tab=white')
        wait_for(lambda: p.tid('list-table'), 'the whitelist table')
        want = {x['pattern'] for x in ctl.list_entries('whitelist')}
        shown = {r.get_attribute('data-pattern') for r in d.find_elements(By.CSS_SELECTOR, 'tr[data-pattern]')}
        need(shown == want if len(want) <= 50 else shown <= want, f'shown {sorted(shown)}, egressctl {sorted(want)}')
        if wl_pattern and wl:
            need(wl_pattern in shown, f'{wl_pattern} missing')
        p.shot('lists-white')
    run.check('lists: the custom whitelist equals egressctl whitelist list', whitelist_tab)

    def system_tab():
        p.go('#/lists?tab=system')
        a = ctl('lists')
        need(a.get('ok'), f'egressctl lists: {a.get("error")}')
        src = a.get('sources', [])
        shown = p.tid('source-row')
        need(len(shown) == len(src), f'{len(shown)} sources shown, egressctl {len(src)}')
        for r, s in zip(shown, src):
            need(r.get_attribute('data-source') == s['source'], f'{r.get_attribute("data-source")} vs {s["source"]}')
            n = p.one('source-entries', r).text.replace(',', '')
            need(n == str(s['entries']), f'{s["source"]}: {n} vs {s["entries"]}')
        need(not p.tid('list-add-text'), 'the system lists can be edited')
        p.shot('lists-system')
    run.check('lists: the system sources equal egressctl lists', system_tab)

    # -- audit --
    def audit():
        p.go('#/audit')
        a = ctl('audit', '--limit', '50')
        need(a.get('ok'), f'egressctl audit: {a.get("error")}')
        lines = a.get('audit', [])
        shown = p.tid('audit-row')
        need(shown and lines, 'empty audit log')
        need(shown[0].get_attribute('data-audit-id') == str(lines[0]['id']),
             f'newest shown {shown[0].get_attribute("data-audit-id")}, egressctl {lines[0]["id"]}')
        need(shown[0].get_attribute('data-action') == lines[0]['action'], 'newest action differs')
        hostile = [w for w in p.tid('audit-what') if HOSTILE in w.text]
        need(hostile, 'the hostile note is not in the audit log as text')
        need(not d.find_elements(By.TAG_NAME, 'img'), 'an <img> element appeared')
        need(p.js('return typeof window.__pwned') == 'undefined', 'window.__pwned was set')
        p.shot('audit')
    run.check('audit log: newest first, as egressctl audit', audit)

    # -- CSRF --
    def csrf():
        e = next(iter(ctl.events('--since', '3650d')[0]), None)
        need(e, 'no event to try on')
        ids = [e['id']]
        r = p.fetch('POST', '/api/events/handled', {'ids': ids})
        need(r['status'] == 403, f'POST without X-CSRF-Token: {r["status"]}')
        r = p.fetch('POST', '/api/events/ignore', {'ids': ids}, {'X-CSRF-Token': 'not-the-token'})
        need(r['status'] == 403, f'POST with a wrong X-CSRF-Token: {r["status"]}')
        r = p.fetch('DELETE', f'/api/events/{e["id"]}')
        need(r['status'] == 403, f'DELETE without X-CSRF-Token: {r["status"]}')
        r = p.fetch('POST', '/api/blacklist', {'text': 'ui-csrf.example'})
        need(r['status'] == 403, f'POST /api/blacklist without X-CSRF-Token: {r["status"]}')
        now = ctl.event(e['id'])
        need(now and now['status'] == e['status'], f'the event changed: {now and now["status"]}')
        need('ui-csrf.example' not in {x['pattern'] for x in ctl.list_entries('blacklist')}, 'the entry was added')
        r = p.fetch('GET', '/api/session')
        need(r['status'] == 200, f'the session itself is gone: {r["status"]}')
    run.check('a state change without the CSRF token is refused (403)', csrf)

    def session_ended():
        p.go('#/overview')
        d.delete_all_cookies()
        p.js('location.hash = "#/containers"')
        wait_for(lambda: d.find_element(By.ID, 'login').is_displayed(), 'the login form after the session ended')
        need(not d.find_element(By.ID, 'main').is_displayed(), 'the app still shows')
        need(p.one('login-error').text.strip(), 'no word on why the login form shows')
        p.one('login-user').clear()
        p.one('login-user').send_keys(args.user)
        p.one('login-pass').send_keys(args.password)
        p.one('login-submit').click()
        wait_for(lambda: p.tid('view-containers'), 'the containers screen after logging in again')
        need(p.js('return location.hash') == '#/containers', p.js('return location.hash'))
    run.check('a session that ended shows the login form, and the page after it', session_ended)

    # -- logout --
    def logout():
        p.click(p.one('logout'))
        wait_for(lambda: d.find_element(By.ID, 'login').is_displayed(), 'the login form')
        r = p.fetch('GET', '/api/overview')
        need(r['status'] == 401, f'GET /api/overview after logout: {r["status"]}')
        p.js('location.hash = "#/events"')
        time.sleep(0.3)
        need(d.find_element(By.ID, 'login').is_displayed() and not d.find_element(By.ID, 'main').is_displayed(),
             'the app shows after logout')
    run.check('logout ends the session (401 after)', logout)


if __name__ == '__main__':
    sys.exit(main())
