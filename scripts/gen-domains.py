#!/usr/bin/env python3
"""Deterministic synthetic domain list for the matcher benchmark.

Usage: gen-domains.py OUTDIR [N=1000000] [SEED=1] [LOOKUPS=1000000]

Writes into OUTDIR (created if needed):
  list.txt      N entries in egressd "plain domains" format, one per line:
                ~70% exact names (abc123.example-x.com), ~30% wildcards
                (*.foo.bar.net); 2-4 labels below the "*", lowercase LDH,
                no duplicates, no entry listed both exact and as a wildcard.
  hits.txt      LOOKUPS names that match: listed exact names, and 1-2 random
                labels prepended to the base of a wildcard entry; random order.
  misses.txt    LOOKUPS names that match nothing, under any of the three
                semantics benchmarked (egressd, dnsmasq address=/x/, unbound
                local-zone): neither the name nor any parent of it is listed.
                Same shape as the hits; about 40% are near misses that share
                their parent domain with a listed entry (mail.foo.com when
                www.foo.com is listed).
  dnsmasq.conf  address=/NAME/0.0.0.0 per entry (for *.x, x: dnsmasq's
                address=/x/ covers x and every name under it).
  unbound.conf  standalone unbound config: loopback only, port $UNBOUND_PORT
                (default 15353), foreground, no chroot/user switch, no
                remote-control, no trust anchor, and one
                local-zone: "NAME." always_nxdomain per entry.

Everything depends only on N, SEED and LOOKUPS (and the port), so two runs
give byte-identical files.  Statistics go to stderr.
"""

import os
import random
import sys
import time

# A few dozen TLDs with rough real-world weights.
TLDS = [
    ("com", 40), ("net", 8), ("org", 6), ("io", 4), ("de", 4), ("uk", 3),
    ("ru", 3), ("cn", 2), ("info", 2), ("xyz", 2), ("top", 2), ("fr", 2),
    ("jp", 2), ("br", 2), ("it", 1), ("nl", 1), ("au", 1), ("ca", 1),
    ("pl", 1), ("es", 1), ("in", 1), ("eu", 1), ("ch", 1), ("se", 1),
    ("us", 1), ("biz", 1), ("me", 1), ("tv", 1), ("cc", 1), ("co", 1),
    ("app", 1), ("dev", 1), ("online", 1), ("site", 1), ("club", 1),
    ("shop", 1), ("ai", 1), ("vn", 1), ("kr", 1), ("cz", 1), ("be", 1),
    ("at", 1), ("dk", 1),
]

# Common host/sub-domain labels.
COMMON_SUBS = (
    "www api cdn mail static img images m app auth login ads ad track "
    "tracking metrics stats analytics pixel tags beacon edge media video "
    "assets files dl download update updates push ws s3 eu us de ns1 ns2 "
    "smtp imap mx portal my secure pay shop blog news dev staging test "
    "beta cloud data log logs events collect sync telemetry gw proxy vpn"
).split()

CONS = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r",
        "s", "t", "v", "w", "z", "ch", "sh", "th", "st", "tr", "br", "cl",
        "gr", "pl", "sp"]
VOWS = ["a", "e", "i", "o", "u", "a", "e", "o", "ai", "ea", "io", "ou", "y"]
CODAS = ["", "", "", "", "n", "r", "s", "t", "x", "m", "l", "ck", "ng"]
ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
ALPHA = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        sys.stderr.write(__doc__)
        sys.exit(0 if len(sys.argv) >= 2 else 2)
    outdir = sys.argv[1]
    try:
        n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
        seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
        nlook = int(sys.argv[4]) if len(sys.argv) > 4 else 1000000
        port = int(os.environ.get("UNBOUND_PORT", "15353"))
    except ValueError:
        sys.exit("gen-domains.py: N, SEED, LOOKUPS and UNBOUND_PORT must be integers")
    if n < 1 or nlook < 0 or not (1 <= port <= 65535):
        sys.exit("gen-domains.py: need N >= 1, LOOKUPS >= 0, 1 <= UNBOUND_PORT <= 65535")

    t0 = time.monotonic()
    rng = random.Random(seed)
    rand = rng.random
    choice = rng.choice
    choices = rng.choices
    randint = rng.randint

    # Syllable pool -> word pool.  Pools keep the per-name cost low.
    syls = [c + v + k for c in CONS for v in VOWS for k in CODAS]
    syls.sort()

    def word():
        r = rand()
        ns = 1 if r < 0.25 else (2 if r < 0.8 else 3)
        return "".join(choices(syls, k=ns))

    words = sorted({word() for _ in range(60000)})
    tld_names = [t for t, _ in TLDS]
    tld_weights = [w for _, w in TLDS]
    tld_pool = choices(tld_names, weights=tld_weights, k=4096)

    def alnum(lo, hi):
        s = "".join(choices(ALNUM, k=randint(lo, hi)))
        if s[0].isdigit():  # keep it looking like a host name
            s = choice(ALPHA) + s[1:]
        return s

    def sld():  # registrable label: example, example-x, abc123, getcloud
        r = rand()
        if r < 0.40:
            return choice(words)
        if r < 0.55:
            return choice(words) + choice(words)
        if r < 0.70:
            return choice(words) + "-" + (choice(words) if rand() < 0.6
                                          else choice(ALPHA))
        if r < 0.85:
            return choice(words) + str(randint(0, 999))
        return alnum(6, 10)

    def sub():  # host / sub-domain label: www, x9, abc123, node-12
        r = rand()
        if r < 0.45:
            return choice(COMMON_SUBS)
        if r < 0.70:
            return choice(words)
        if r < 0.90:
            return alnum(2, 7)
        return choice(words) + "-" + str(randint(1, 99))

    def base_name(nlabels):
        labels = [sld(), tld_pool[randint(0, 4095)]]
        for _ in range(nlabels - 2):
            labels.insert(0, sub())
        return ".".join(labels)

    def nlabels_exact():
        r = rand()
        return 2 if r < 0.25 else (3 if r < 0.70 else 4)

    def nlabels_wild():  # base of a wildcard: foo.net, foo.bar.net, ...
        r = rand()
        return 2 if r < 0.55 else (3 if r < 0.90 else 4)

    # ---- entries -------------------------------------------------------
    bases = set()
    entries = []      # text as listed
    kinds = []        # True = wildcard
    ebase = []        # base name (the entry without "*.")
    n_wild_target = int(round(n * 0.30))
    nw = 0
    tries = 0
    max_tries = n * 50 + 1000
    while len(entries) < n:
        tries += 1
        if tries > max_tries:
            sys.exit("gen-domains.py: cannot find enough distinct names")
        # Decide kind so that exactly n_wild_target entries are wildcards.
        remaining = n - len(entries)
        wild_left = n_wild_target - nw
        is_wild = rand() < (wild_left / remaining) if remaining else False
        b = base_name(nlabels_wild() if is_wild else nlabels_exact())
        if len(b) > 240 or b in bases:
            continue
        bases.add(b)
        ebase.append(b)
        kinds.append(is_wild)
        entries.append("*." + b if is_wild else b)
        nw += is_wild
    t_entries = time.monotonic()

    def listed(name):
        """True if name or any parent of it is a listed base."""
        if name in bases:
            return True
        i = name.find(".")
        while i != -1:
            if name[i + 1:] in bases:
                return True
            i = name.find(".", i + 1)
        return False

    # ---- hits ----------------------------------------------------------
    hits = []
    for _ in range(nlook):
        i = randint(0, n - 1)
        if kinds[i]:
            pre = sub() if rand() < 0.8 else sub() + "." + sub()
            hits.append(pre + "." + ebase[i])
        else:
            hits.append(ebase[i])

    # ---- misses --------------------------------------------------------
    misses = []
    miss_set = set()
    tries = 0
    max_tries = nlook * 50 + 1000
    while len(misses) < nlook:
        tries += 1
        if tries > max_tries:
            sys.exit("gen-domains.py: cannot find enough non-matching names")
        r = rand()
        if r < 0.40:
            # near miss: sibling of a listed name (same parent, new label)
            i = randint(0, n - 1)
            b = ebase[i]
            parent = b[b.find(".") + 1:]
            name = (sub() if parent.count(".") else sld()) + "." + parent
            if kinds[i]:
                name = sub() + "." + name
        elif r < 0.82:
            name = base_name(nlabels_exact())
        else:
            name = sub() + "." + base_name(nlabels_wild())
        if len(name) > 250 or name in miss_set or listed(name):
            continue
        miss_set.add(name)
        misses.append(name)
    t_lookups = time.monotonic()

    # ---- write ---------------------------------------------------------
    os.makedirs(outdir, exist_ok=True)
    outdir = os.path.abspath(outdir)

    def write(fname, lines, head=""):
        path = os.path.join(outdir, fname)
        with open(path, "w", encoding="ascii", newline="\n") as f:
            f.write(head)
            if lines:
                f.write("\n".join(lines))
                f.write("\n")

    write("list.txt", entries)
    write("hits.txt", hits)
    write("misses.txt", misses)
    write("dnsmasq.conf",
          ["address=/%s/0.0.0.0" % b for b in ebase],
          "# generated by gen-domains.py N=%d SEED=%d\n"
          "# listen/port options are given on the command line\n" % (n, seed))
    unbound_head = (
        "# generated by gen-domains.py N=%d SEED=%d\n"
        "server:\n"
        "    interface: 127.0.0.1\n"
        "    port: %d\n"
        "    do-ip4: yes\n"
        "    do-ip6: no\n"
        "    do-udp: yes\n"
        "    do-tcp: yes\n"
        "    access-control: 127.0.0.0/8 allow\n"
        "    do-daemonize: no\n"
        "    username: \"\"\n"
        "    chroot: \"\"\n"
        "    directory: \"%s\"\n"
        "    pidfile: \"%s\"\n"
        "    logfile: \"\"\n"
        "    use-syslog: no\n"
        "    verbosity: 0\n"
        "    num-threads: 1\n"
        "    # no DNSSEC: no trust anchor, validator module not loaded\n"
        "    module-config: \"iterator\"\n"
        "    # never recurse: names not listed below get REFUSED, so this\n"
        "    # instance sends nothing beyond loopback whatever it is asked\n"
        "    local-zone: \".\" refuse\n"
        % (n, seed, port, outdir, os.path.join(outdir, "unbound.pid")))
    unbound_tail = "remote-control:\n    control-enable: no\n"
    path = os.path.join(outdir, "unbound.conf")
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write(unbound_head)
        f.write("".join('    local-zone: "%s." always_nxdomain\n' % b
                        for b in ebase))
        f.write(unbound_tail)
    t_end = time.monotonic()

    avg = sum(map(len, entries)) / n
    labs = sum(e.count(".") + 1 for e in ebase) / n
    sys.stderr.write(
        "gen-domains.py: %d entries (%d exact, %d wildcard), avg %.1f chars, "
        "avg %.2f labels (base), %d TLDs; %d hits, %d misses -> %s\n"
        "gen-domains.py: %.1fs (entries %.1fs, lookups %.1fs, write %.1fs)\n"
        % (n, n - nw, nw, avg, labs, len({b.rsplit(".", 1)[1] for b in ebase}),
           len(hits), len(misses), outdir, t_end - t0, t_entries - t0,
           t_lookups - t_entries, t_end - t_lookups))


if __name__ == "__main__":
    main()
