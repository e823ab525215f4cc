-- Rows of two simulated hosts (alpha, beta) and a stale one (gamma), as
-- their egressd would ship them: tests/e2e/test_console_fleet.sh.
-- Events over more than a day (two day partitions or three), containers,
-- and subjects that one whitelist entry (*.pool.test) covers on both.
SELECT egressd_day_partition(d::date)
  FROM generate_series(current_date - 3, current_date + 1, '1 day') d;

INSERT INTO hosts (host_id, name, inner_addrs, outer_addrs, version, mode,
                   counters, list_version, started, last_seen) VALUES
 ('h-alpha', 'alpha.test', '{192.0.2.11,2001:db8::11}', '{203.0.113.11}',
  '0.1.0', 'block',
  '{"events": 31, "lists": [{"list": "black", "source": "system-c2",
    "category": "c2", "entries": 120}, {"list": "black", "source":
    "feed-alpha", "category": "mining-pool", "entries": 7}]}',
  0, now() - interval '1 day', now()),
 ('h-beta', 'beta.test', '{192.0.2.12}', '{203.0.113.12}', '0.1.0', 'alert',
  '{"events": 26, "lists": [{"list": "black", "source": "system-c2",
    "category": "c2", "entries": 120}]}',
  0, now() - interval '1 day', now()),
 ('h-gamma', 'gamma.test', '{192.0.2.13}', '{}', '0.1.0', 'block', '{}', 0,
  now() - interval '2 days', now() - interval '10 minutes');

INSERT INTO containers (host_id, container_id, name, image, isolated, info)
VALUES
 ('h-alpha', 'aaaa1111aaaa1111aaaa1111', 'web-a', 'nginx:1',
  false, '{"runtime": "docker", "state": "running"}'),
 ('h-beta', 'bbbb2222bbbb2222bbbb2222', 'web-b', 'nginx:1',
  false, '{"runtime": "docker", "state": "running"}'),
 ('h-beta', 'cccc3333cccc3333cccc3333', 'web-a', 'redis:7',
  false, '{"runtime": "docker", "state": "running"}');

-- alpha: 30 events an hour apart (30 h: more than one day), beta: 25 two
-- hours apart (50 h); then x.pool.test on both and y.pool.test on beta.
INSERT INTO events (host_id, local_id, day, rev, type, subject, container_id,
                    container_name, image, host, first_seen, last_seen,
                    count, status, action, rule_list, rule_source,
                    rule_pattern, rule_category, detail)
SELECT v.h, i, (to_timestamp(t) AT TIME ZONE 'UTC')::date, i, 'domain',
       s, c, n, 'nginx:1', hn, t - 5, t, cnt, 'pending', act, 'black',
       src, pat, cat, det
  FROM (SELECT 'h-alpha' h, i, 'a' || i || '.evil.test' s,
               'aaaa1111aaaa1111aaaa1111' c, 'web-a' n, 'alpha.test' hn,
               i cnt, 'blocked' act, 'system-c2' src, '*.evil.test' pat,
               'c2' cat, '{"kind": "dns"}' det, 3600 * i ago
          FROM generate_series(1, 30) i
        UNION ALL
        SELECT 'h-beta', i, 'b' || i || '.evil.test',
               'bbbb2222bbbb2222bbbb2222', 'web-b', 'beta.test', 1,
               'alerted', 'system-c2', '*.evil.test', 'c2', '', 7200 * i
          FROM generate_series(1, 25) i
        UNION ALL
        SELECT h, l, s, c, n, hn, 1, 'blocked', 'feed-alpha', '*.pool.test',
               'mining-pool', '', 60
          FROM (VALUES ('h-alpha', 100, 'x.pool.test',
                        'aaaa1111aaaa1111aaaa1111', 'web-a', 'alpha.test'),
                       ('h-beta', 100, 'x.pool.test',
                        'bbbb2222bbbb2222bbbb2222', 'web-b', 'beta.test'),
                       ('h-beta', 101, 'y.pool.test',
                        'bbbb2222bbbb2222bbbb2222', 'web-b', 'beta.test'))
               p(h, l, s, c, n, hn)) v,
       LATERAL (SELECT extract(epoch FROM now())::bigint - v.ago AS t) x;
