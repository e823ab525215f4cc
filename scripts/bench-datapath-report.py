#!/usr/bin/env python3
"""Tables of the datapath benchmark (scripts/bench-datapath.sh runs it).

Usage: bench-datapath-report.py DIR ROUNDS CLIENTS LIST_N TOOK_S CLK_TCK COMMAND

Reads the files bench-datapath.sh left in DIR, per setup WAY, round R,
kind MODE and client count C: WAY.R.MODE.C.{json,samples,q0,q1,cpu0,cpu1}.
Pools the rounds: rate = successful operations / time; p50 and p99 over
all samples (nearest rank); queued = packets sent to the queue's reader
(id_sequence) / operations tried; drops = queue_dropped + user_dropped;
CPU = the reader's utime+stime / operations tried (utime alone in
parentheses: stime includes the packet's own forwarding, which the kernel
runs inside the verdict call).  Prints the tables, the
checks against the goals, and the same in markdown for the README.
"""
import json
import sys

S, ROUNDS, CLIENTS, LIST_N, TOOK, TCK, CMD = sys.argv[1:8]
ROUNDS, LIST_N, TCK = int(ROUNDS), int(LIST_N), int(TCK)
LEVELS = [int(c) for c in CLIENTS.split(",")]
WAYS = ["kernel", "floor", "egressd"]
MODES = ["http", "tls", "http-dns", "tls-dns", "dns"]
LABEL = {"http": "HTTP", "tls": "TLS", "http-dns": "HTTP after lookup",
         "tls-dns": "TLS after lookup", "dns": "DNS"}


def words(path):
    try:
        return open(path).read().split()
    except OSError:
        return None


def pct(xs, p):
    if not xs:
        return None
    k = max(0, min(len(xs) - 1, -(-len(xs) * p // 100) - 1))
    return xs[k] / 1000.0


def agg(w, m, c):
    count = errors = attempts = lookups = conns = 0
    el = 0.0
    lat = []
    sent = drops = ticks = uticks = 0
    qseen = cseen = True
    for r in range(1, ROUNDS + 1):
        f = "%s/%s.%d.%s.%d" % (S, w, r, m, c)
        j = json.load(open(f + ".json"))
        count += j["count"]
        errors += j["errors"]
        attempts += j["attempts"]
        lookups += j["lookups"]
        conns += j["conns"]
        el += j["elapsed_s"]
        lat += [int(x) for x in open(f + ".samples")]
        q0, q1 = words(f + ".q0"), words(f + ".q1")
        if not q0 or not q1 or q1[0] == "-" or q0[0] != q1[0]:
            qseen = False  # no reader, or another one: no figure
        else:
            sent += int(q1[3]) - int(q0[3])
            drops += int(q1[1]) - int(q0[1]) + int(q1[2]) - int(q0[2])
        c0, c1 = words(f + ".cpu0"), words(f + ".cpu1")
        if not c0 or not c1 or c0[0] == "-" or c1[0] == "-":
            cseen = False
        else:
            uticks += int(c1[0]) - int(c0[0])
            ticks += int(c1[0]) - int(c0[0]) + int(c1[1]) - int(c0[1])
    lat.sort()
    return {"count": count, "errors": errors, "attempts": attempts,
            "lookups": lookups, "conns": conns,
            "rate": count / el if el > 0 else 0.0,
            "p50": pct(lat, 50), "p99": pct(lat, 99),
            "sent": sent if qseen else None,
            "per_op": sent / attempts if qseen and attempts else None,
            "drops": drops if qseen else None,
            "cpu_us": ticks * 1e6 / TCK / attempts if cseen and attempts else None,
            "user_us": uticks * 1e6 / TCK / attempts if cseen and attempts else None}


A = {(w, m, c): agg(w, m, c) for w in WAYS for m in MODES for c in LEVELS}


def beyond_dns(w, m, c):
    """Queued packets per connection, the lookups' own packets (as the dns
    kind of the same setup and level queued them) taken out."""
    a = A[(w, m, c)]
    if a["per_op"] is None or not a["conns"]:
        return None
    d = A[(w, "dns", c)]["per_op"] if a["lookups"] else 0.0
    if d is None:
        return None
    return (a["sent"] - d * a["lookups"]) / a["conns"]


def ratio(x, y):
    return x / y if x is not None and y else None


def f(v, nd=0):
    return "-" if v is None else "%.*f" % (nd, v)


rows_rate, rows_lat, rows_q = [], [], []
for c in LEVELS:
    for m in MODES:
        k, fl, e = (A[(w, m, c)] for w in WAYS)
        kind = [str(c), LABEL[m]]
        err = sum(x["errors"] for x in (k, fl, e))
        rows_rate.append(kind + [f(k["rate"]), f(fl["rate"]), f(e["rate"]),
                                 f(ratio(fl["rate"], k["rate"]), 2),
                                 f(ratio(e["rate"], k["rate"]), 2),
                                 f(ratio(e["rate"], fl["rate"]), 2), str(err)])
        rows_lat.append(kind + ["%s / %s / %s" % (f(k["p50"]), f(fl["p50"]), f(e["p50"])),
                                f(ratio(e["p50"], k["p50"]), 2), f(ratio(e["p50"], fl["p50"]), 2),
                                "%s / %s / %s" % (f(k["p99"]), f(fl["p99"]), f(e["p99"])),
                                f(ratio(e["p99"], k["p99"]), 2), f(ratio(e["p99"], fl["p99"]), 2)])
        rows_q.append(kind + [f(fl["per_op"], 2), f(e["per_op"], 2),
                              f(beyond_dns("egressd", m, c), 2) if m != "dns" else "",
                              "%s / %s" % (f(fl["drops"]), f(e["drops"])),
                              "%s (%s)" % (f(fl["cpu_us"]), f(fl["user_us"])),
                              "%s (%s)" % (f(e["cpu_us"]), f(e["user_us"])),
                              f(ratio(e["cpu_us"], fl["cpu_us"]), 1)])

H_RATE = ["clients", "kind", "kernel /s", "floor /s", "egressd /s", "floor÷kernel",
          "egressd÷kernel", "egressd÷floor", "errors"]
H_LAT = ["clients", "kind", "p50 µs kernel / floor / egressd", "p50 e÷k", "p50 e÷f",
         "p99 µs kernel / floor / egressd", "p99 e÷k", "p99 e÷f"]
H_Q = ["clients", "kind", "queued/op floor", "queued/op egressd",
       "egressd queued/conn beyond DNS", "queue drops floor / egressd",
       "CPU µs/op nfq_accept (user)", "CPU µs/op egressd (user)", "CPU e÷f"]


def table(hdr, rows):
    w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(hdr)]
    for r in [hdr] + rows:
        print("  ".join(x.rjust(w[i]) if i > 1 else x.ljust(w[i]) for i, x in enumerate(r)))


def md(hdr, rows):
    print("| " + " | ".join(hdr) + " |")
    print("|" + "|".join(["---"] * 2 + ["---:"] * (len(hdr) - 2)) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


stream = [(m, c) for c in LEVELS for m in MODES if m != "dns"]
bd = [(beyond_dns("egressd", m, c), m, c) for m, c in stream]
worst = max(bd, key=lambda t: -1 if t[0] is None else t[0])
drops = [A[("egressd", m, c)]["drops"] for m in MODES for c in LEVELS]
fdrops = [A[("floor", m, c)]["drops"] for m in MODES for c in LEVELS]
checks = [
    ("egressd: queued packets per TLS/HTTP connection beyond DNS, worst (%s, %d clients)"
     % (LABEL[worst[1]], worst[2]), f(worst[0], 2), "<= 1",
     "n/a" if worst[0] is None else "meets" if worst[0] <= 1.005 else "MISSES"),
    ("queue drops (queue_dropped + user_dropped), floor / egressd",
     "%s / %s" % (f(None if None in fdrops else sum(fdrops)), f(None if None in drops else sum(drops))),
     "0", "meets" if None not in drops and sum(drops) == 0 else "MISSES"),
]

title = ("Datapath benchmark: clients %s, %d round(s), egressd in block mode with "
         "the shipped lists and a %s-entry blacklist; run took %s s"
         % (CLIENTS, ROUNDS, format(LIST_N, ","), TOOK))
print()
print(title)
print("Rates: successful operations/s (after-lookup kinds: lookup + connection)."
      " Latency: connect to the response's first byte; DNS: query to answer.")
print("CPU: the queue reader's utime+stime per operation tried (utime alone in"
      " parentheses; stime includes the forwarding the kernel does in the verdict call).")
print()
table(H_RATE, rows_rate)
print()
table(H_LAT, rows_lat)
print()
table(H_Q, rows_q)


def idle(w):
    """CPU ms per second of the reader with no traffic, per round."""
    out = []
    for r in range(1, ROUNDS + 1):
        a, b = words("%s/%s.%d.idle0" % (S, w, r)), words("%s/%s.%d.idle1" % (S, w, r))
        if a and b and "-" not in a + b:
            out.append("%.1f" % ((int(b[0]) + int(b[1]) - int(a[0]) - int(a[1])) * 1e3 / TCK / 2))
    return "/".join(out) or "-"


checks.append(("CPU ms/s with no traffic (2 s, per round), nfq_accept / egressd",
               "%s / %s" % (idle("floor"), idle("egressd")), "", ""))
print()
for name, val, goal, v in checks:
    print("  %-84s %-8s goal %-4s %s" % (name, val, goal, v))
print()
print("```markdown")
print("`sudo scripts/%s`: %s" % (CMD, title.split(": ", 1)[1]))
print()
md(H_RATE, rows_rate)
print()
md(H_LAT, rows_lat)
print()
md(H_Q, rows_q)
print()
print("| check | measured | goal | |")
print("|---|---|---|---|")
for name, val, goal, v in checks:
    print("| %s | %s | %s | %s |" % (name, val, goal, v))
print("```")
