#!/usr/bin/env python3
"""Client of the datapath benchmark (scripts/bench-datapath.sh).

Usage: bench-datapath-client.py MODE N [TIME_LIMIT_S=60]

Runs inside a container namespace of the test bed and prints one JSON line.

  tcp  N times, one after the other: a new TCP connection to $BENCH_HTTP
       (default 203.0.113.80:80), "GET / HTTP/1.0" with Host
       $BENCH_NAME (default www.example.com), read the answer until the
       server closes, close.  connect_* is the handshake time: from the
       start of connect() to its return (blocking socket).  req_* is the
       whole exchange (connect, request, answer, close).
  dns  N times, one after the other: a new UDP socket (so a new source port
       and a new conntrack flow, like a stub resolver), an A query for
       $BENCH_NAME sent to $BENCH_DNS (default 203.0.113.53:53), wait for
       the answer with the same id (NOERROR, at least one answer record).
       The latency is from send() to the answer.

With $BENCH_RESOLVE set, tcp mode first resolves $BENCH_NAME once through
$BENCH_DNS (a container that looked the name up before connecting).

Stops after N measured operations or TIME_LIMIT_S seconds, whichever comes
first.  $BENCH_WARMUP (default 10) operations go first and are not counted.
With $BENCH_SAMPLES set, the raw samples go to that file as well, one line
per successful operation: the latency in ns (tcp: connect time, then the
whole exchange).  Plain sockets, no external modules.

Output: {"mode", "count", "errors", "elapsed_s", "rate", "p50_us",
"p99_us", ...}: count = successful operations, rate = count / elapsed_s,
p50_us/p99_us = connect time (tcp) or lookup latency (dns), nearest rank.
"""

import json
import os
import random
import socket
import struct
import sys
import time

TIMEOUT_S = 2.0


def addr(env, default):
    host, _, port = os.environ.get(env, default).rpartition(":")
    return host, int(port)


def pct(sorted_ns, p):
    """Nearest-rank percentile, in microseconds."""
    if not sorted_ns:
        return None
    k = max(0, min(len(sorted_ns) - 1, -(-len(sorted_ns) * p // 100) - 1))
    return round(sorted_ns[k] / 1000.0, 1)


def tcp_once(dst, request, lat, req):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT_S)
    try:
        t0 = time.perf_counter_ns()
        s.connect(dst)
        t1 = time.perf_counter_ns()
        s.sendall(request)
        got = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
        t2 = time.perf_counter_ns()
    except OSError:
        return False
    finally:
        s.close()
    if not got.startswith(b"HTTP/1.1 200") and not got.startswith(b"HTTP/1.0 200"):
        return False
    if lat is not None:
        lat.append(t1 - t0)
        req.append(t2 - t0)
    return True


def dns_query(qid, name):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)  # RD, 1 question
    for label in name.rstrip(".").split("."):
        q += struct.pack("!B", len(label)) + label.encode("ascii")
    return q + b"\x00" + struct.pack("!HH", 1, 1)  # A, IN


def dns_once(dst, name, lat, _req):
    qid = random.getrandbits(16)
    pkt = dns_query(qid, name)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT_S)
    try:
        s.connect(dst)
        t0 = time.perf_counter_ns()
        s.send(pkt)
        while True:
            ans = s.recv(4096)
            if len(ans) >= 12 and struct.unpack("!H", ans[:2])[0] == qid:
                break
        t1 = time.perf_counter_ns()
    except OSError:
        return False
    finally:
        s.close()
    flags, _qd, an = struct.unpack("!HHH", ans[2:8])
    if not flags & 0x8000 or flags & 0x000F or an < 1:  # QR, RCODE, ANCOUNT
        return False
    if lat is not None:
        lat.append(t1 - t0)
    return True


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("tcp", "dns"):
        sys.exit("usage: bench-datapath-client.py tcp|dns N [TIME_LIMIT_S=60]")
    mode, n = sys.argv[1], int(sys.argv[2])
    limit_s = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
    warmup = int(os.environ.get("BENCH_WARMUP", "10"))
    name = os.environ.get("BENCH_NAME", "www.example.com")
    if mode == "tcp":
        dst = addr("BENCH_HTTP", "203.0.113.80:80")
        request = ("GET / HTTP/1.0\r\nHost: %s\r\nUser-Agent: bench-datapath\r\n\r\n"
                   % name).encode("ascii")
        once = lambda l, r: tcp_once(dst, request, l, r)  # noqa: E731
    else:
        dst = addr("BENCH_DNS", "203.0.113.53:53")
        once = lambda l, r: dns_once(dst, name, l, r)  # noqa: E731

    if mode == "tcp" and os.environ.get("BENCH_RESOLVE"):
        # Resolve the name first, as a container does before it connects:
        # egressd then knows the name for the address and decides each
        # connection at its SYN instead of waiting for its first bytes.
        if not dns_once(addr("BENCH_DNS", "203.0.113.53:53"), name, None, None):
            sys.exit("bench-datapath-client: cannot resolve %s" % name)
    for _ in range(warmup):
        once(None, None)
    lat, req = [], []
    errors = 0
    deadline = time.perf_counter_ns() + int(limit_s * 1e9)
    start = time.perf_counter_ns()
    done = 0
    while done < n and time.perf_counter_ns() < deadline:
        if not once(lat, req):
            errors += 1
        done += 1
    elapsed = (time.perf_counter_ns() - start) / 1e9
    path = os.environ.get("BENCH_SAMPLES")
    if path:
        with open(path, "w") as f:
            if mode == "tcp":
                f.writelines("%d %d\n" % lr for lr in zip(lat, req))
            else:
                f.writelines("%d\n" % x for x in lat)
    lat.sort()
    req.sort()
    out = {
        "mode": mode, "count": len(lat), "errors": errors,
        "elapsed_s": round(elapsed, 3),
        "rate": round(len(lat) / elapsed, 1) if elapsed > 0 else 0.0,
        "p50_us": pct(lat, 50), "p99_us": pct(lat, 99),
        "time_limited": done < n,
    }
    if mode == "tcp":
        out["req_p50_us"] = pct(req, 50)
        out["req_p99_us"] = pct(req, 99)
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
