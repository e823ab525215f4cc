#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The egressd console in fleet mode in a real browser (headless Chromium,
Selenium): the host column and filter of the events, an event's host, the
hosts page with its stale host, the hosts beside containers and list
sources, and no CSP violation or script error. The browser's view is
compared with what the API answers (tests/e2e/test_console_fleet.sh has
checked the API against the database). Prints "ok - NAME" or
"not ok - NAME: why" per check; exit status 1 if any failed.

    console_fleet_test.py --url http://127.0.0.1:8743/ --user op --password-file F \
        --screenshots DIR --hosts h-alpha,h-beta,h-gamma --stale-host h-gamma

Shares its browser and page helpers with console_test.py. Debian:
python3-selenium, chromium, chromium-driver. Run with /usr/bin/python3.
"""
import argparse
import os
import sys

from selenium.webdriver.common.by import By

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_test import in_browser, need, rows, total, wait_for  # noqa: E402


def api_get(p, path):
    r = p.fetch('GET', path)
    need(r['status'] == 200, f'GET {path}: {r["status"]} {r["body"]}')
    return r['body']


def checks(run, p, args):
    d = p.d
    hosts = args.hosts.split(',')

    def login():
        d.get(p.url)
        wait_for(lambda: d.find_element(By.ID, 'login').is_displayed(), 'the login form')
        p.one('login-user').send_keys(args.user)
        p.one('login-pass').send_keys(args.password)
        p.one('login-submit').click()
        wait_for(lambda: p.tid('view-overview'), 'the overview')
        need(p.one('nav-hosts').is_displayed(), 'no Hosts link in fleet mode')
    if not run.check('login; the Hosts link shows in fleet mode', login):
        return

    def host_column():
        p.go('#/events?range=all&limit=200')
        a = api_get(p, '/api/events?from=0&limit=200')
        want = {e['host_name'] for e in a['events']}
        cells = p.tid('event-host')
        need(len(cells) == len(rows(p)) == len(a['events']), f'{len(cells)} host cells, {len(rows(p))} rows, API {len(a["events"])}')
        shown = {c.text.strip() for c in cells}
        need(shown == want and len(shown) >= 2, f'hosts shown {sorted(shown)}, API {sorted(want)}')
        heads = [t.text.strip() for t in d.find_elements(By.CSS_SELECTOR, '#events-table thead th')]
        need('Host' in heads, f'headers {heads}')
        p.shot('fleet-events')
    run.check('events: a Host column with each event\'s host name', host_column)

    def host_filter():
        sel = p.one('ev-host')
        need(sel.tag_name == 'select', f'the host filter is a <{sel.tag_name}>')
        opts = [o.get_attribute('value') for o in sel.find_elements(By.TAG_NAME, 'option')]
        need(opts[0] == '' and sorted(opts[1:]) == sorted(hosts), f'options {opts}')
        stale = [o.text for o in sel.find_elements(By.TAG_NAME, 'option') if o.get_attribute('value') == args.stale_host]
        need(stale and '(stale)' in stale[0], f'the stale host\'s option: {stale}')
        want_host = hosts[1]
        p.js('arguments[0].value = arguments[1]', sel, want_host)
        p.click_render(p.one('ev-apply'), 'the filtered events')
        got = {r.get_attribute('data-host-id') for r in p.tid('event-host')}
        a = api_get(p, f'/api/events?from=0&limit=1&host={want_host}')
        need(got == {want_host}, f'rows of {sorted(got)}')
        need(total(p) == a['total'] and total(p) > 0, f'total shown {total(p)}, API {a["total"]}')
        need(p.js('return location.hash').find(f'host={want_host}') > 0, p.js('return location.hash'))
        p.shot('fleet-events-host')
    run.check('events: the host filter lists the hosts and filters by one', host_filter)

    def event_host():
        first = rows(p)[0]
        host_name = p.one('event-host', first).text.strip()
        p.click_render(p.one('event-link', first), 'the event')
        eid = p.one('event-title').get_attribute('data-event-id')
        e = api_get(p, f'/api/events/{eid}')['event']
        need(p.one('ed-host-name').text.strip() == host_name == e['host_name'], f'{p.one("ed-host-name").text} vs {host_name} vs {e["host_name"]}')
        need(p.one('ed-host-id').text.strip() == e['host_id'], p.one('ed-host-id').text)
        need(p.one('ed-host-inner').text.strip() == ', '.join(e['host_inner']), p.one('ed-host-inner').text)
        need(p.one('ed-host-outer').text.strip() == ', '.join(e['host_outer']), p.one('ed-host-outer').text)
        p.shot('fleet-event')
    run.check('an event shows its host\'s name and inner and outer addresses', event_host)

    def hosts_page():
        p.click_render(p.one('nav-hosts'), 'the hosts page')
        shown = p.tid('host-row')
        need(sorted(r.get_attribute('data-host-id') for r in shown) == sorted(hosts), f'{[r.get_attribute("data-host-id") for r in shown]}')
        for r in shown:
            hid = r.get_attribute('data-host-id')
            st = p.one('host-state', r).text.strip()
            want = 'stale' if hid == args.stale_host else 'live'
            need(st == want and r.get_attribute('data-stale') == str(want == 'stale').lower(), f'{hid}: {st}')
        need('1 stale' in p.one('hosts-summary').text, p.one('hosts-summary').text)
        p.shot('fleet-hosts')
    run.check('the hosts page marks the stale host', hosts_page)

    def containers_hosts():
        p.go('#/containers')
        a = api_get(p, '/api/containers')
        cells = p.tid('container-host')
        need(len(cells) == len(a['containers']) > 0, f'{len(cells)} host cells, API {len(a["containers"])}')
        need(sorted(c.text.strip() for c in cells) == sorted(k['host_name'] for k in a['containers']), 'hosts differ')
        p.shot('fleet-containers')
    run.check('containers: each with its host', containers_hosts)

    def list_sources():
        p.go('#/lists?tab=system')
        a = api_get(p, '/api/lists')
        cells = [c.text.strip() for c in p.tid('source-host')]
        need(cells == [s['host_name'] for s in a['sources']], f'{cells}')
        need('all hosts' in cells and len(set(cells)) >= 3, f'{cells}')
        p.shot('fleet-list-sources')
    run.check('list sources: central and each host\'s, with where they come from', list_sources)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--url', required=True)
    ap.add_argument('--user', required=True)
    ap.add_argument('--password-file', required=True)
    ap.add_argument('--screenshots', required=True)
    ap.add_argument('--hosts', required=True, help='every host id, comma-separated')
    ap.add_argument('--stale-host', required=True)
    ap.add_argument('--chromium', default='/usr/lib/chromium/chromium'
                    if os.path.exists('/usr/lib/chromium/chromium') else '/usr/bin/chromium')
    ap.add_argument('--chromedriver', default='/usr/bin/chromedriver')
    args = ap.parse_args()
    with open(args.password_file) as f:
        args.password = f.read().rstrip('\n')
    os.makedirs(args.screenshots, exist_ok=True)
    return in_browser(args, 'console fleet test', lambda run, p: checks(run, p, args))


if __name__ == '__main__':
    sys.exit(main())
