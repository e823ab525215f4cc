#!/usr/bin/env python3
"""Client of the datapath benchmark (scripts/bench-datapath.sh).

Usage: bench-datapath-client.py MODE PARALLEL TIME_LIMIT_S [MAX_OPS=1000000]

Runs inside a container namespace of the test bed and prints one JSON line.
An operation of each MODE:

  http      a new TCP connection to $BENCH_HTTP (default 203.0.113.80:80),
            "GET / HTTP/1.0" with Host $BENCH_NAME (default
            www.example.com), read the answer until the server closes, close.
  tls       a new TCP connection to $BENCH_HTTPS (default 203.0.113.80:443),
            a full TLS handshake (no session resumed) with SNI $BENCH_NAME,
            the server's certificate checked against the CA file $BENCH_CA,
            the same GET, read to the end, close.
  http-dns, tls-dns
            a lookup of $BENCH_NAME (as dns below) first, then the same
            connection to the address the answer gave: what curl or wget
            does for every connection.
  dns       a new UDP socket (so a new source port and a new conntrack flow,
            like a stub resolver), an A query for $BENCH_NAME sent to
            $BENCH_DNS (default 203.0.113.53:53), wait for the answer with
            the same id (NOERROR, at least one A record).

Latency: http and tls from the start of connect() to the first byte of the
HTTP response (TLS: handshake and request included; a lookup before it is
not); dns from send() to the answer.  With egressd the packet that waits
in the queue is the first payload (request or ClientHello), so it lands in
this span.

PARALLEL workers (forked processes) run at once, one operation after the
other; the rate is all their successful operations over the time from the
common start to the last one's end.  A worker stops at TIME_LIMIT_S or
after its share of MAX_OPS.  $BENCH_WARMUP (default 10, spread over the
workers, at least 1 each) operations go first and are not timed.  Only the
standard library.  With $BENCH_SAMPLES set, the latencies (ns) go to that
file too, one a line.

Output: {"mode", "parallel", "count", "errors", "attempts", "lookups",
"conns", "elapsed_s", "rate", "p50_us", "p99_us", "time_limited"}: count =
successful timed operations; attempts = every operation tried, warm-up
included (what the queue saw); lookups and conns = the DNS queries and TCP
connections those attempts made; percentiles nearest rank.
"""

import json
import os
import random
import socket
import ssl
import struct
import sys
import time

TIMEOUT_S = 2.0
MODES = ("http", "tls", "http-dns", "tls-dns", "dns")


def addr(env, default):
    host, _, port = os.environ.get(env, default).rpartition(":")
    return host, int(port)


def pct(sorted_ns, p):
    """Nearest-rank percentile, in microseconds."""
    if not sorted_ns:
        return None
    k = max(0, min(len(sorted_ns) - 1, -(-len(sorted_ns) * p // 100) - 1))
    return round(sorted_ns[k] / 1000.0, 1)


def dns_query(qid, name):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)  # RD, 1 question
    for label in name.rstrip(".").split("."):
        q += struct.pack("!B", len(label)) + label.encode("ascii")
    return q + b"\x00" + struct.pack("!HH", 1, 1)  # A, IN


def first_a(ans):
    """The first A record's address of an answer, or None."""
    qd, an = struct.unpack("!HH", ans[4:8])
    i = 12
    for _ in range(qd):
        while ans[i]:
            i += ans[i] + 1
        i += 5
    for _ in range(an):
        if ans[i] & 0xC0 == 0xC0:
            i += 2
        else:
            while ans[i]:
                i += ans[i] + 1
            i += 1
        rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", ans[i:i + 10])
        i += 10
        if rtype == 1 and rdlen == 4:
            return socket.inet_ntoa(ans[i:i + 4])
        i += rdlen
    return None


def lookup(dst, name):
    """One A query on a new socket: (address or None, ns from send to answer)."""
    qid = random.getrandbits(16)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT_S)
    try:
        s.connect(dst)
        t0 = time.perf_counter_ns()
        s.send(dns_query(qid, name))
        while True:
            ans = s.recv(4096)
            if len(ans) >= 12 and struct.unpack("!H", ans[:2])[0] == qid:
                break
        t1 = time.perf_counter_ns()
    except OSError:
        return None, 0
    finally:
        s.close()
    flags = struct.unpack("!H", ans[2:4])[0]
    if not flags & 0x8000 or flags & 0x000F:  # QR, RCODE
        return None, 0
    try:
        return first_a(ans), t1 - t0
    except (IndexError, struct.error):
        return None, 0


def stream(dst, request, tls, name):
    """One connection: ns from connect() to the response's first byte, or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT_S)
    try:
        t0 = time.perf_counter_ns()
        s.connect(dst)
        if tls:
            s = tls.wrap_socket(s, server_hostname=name)  # handshakes here
        s.sendall(request)
        got = s.recv(65536)
        t1 = time.perf_counter_ns()
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except (OSError, ssl.SSLError):
        return None
    finally:
        s.close()
    if not got.startswith(b"HTTP/1.1 200") and not got.startswith(b"HTTP/1.0 200"):
        return None
    if tls and b"sni=" + name.encode("ascii") not in got:
        return None
    return t1 - t0


def operation(mode, name):
    """once() -> latency in ns, or None when the operation failed."""
    dns = addr("BENCH_DNS", "203.0.113.53:53")
    if mode == "dns":
        def once():
            a, ns = lookup(dns, name)
            return ns if a else None
        return once
    request = ("GET / HTTP/1.0\r\nHost: %s\r\nUser-Agent: bench-datapath\r\n\r\n"
               % name).encode("ascii")
    tls = None
    dst = addr("BENCH_HTTP", "203.0.113.80:80")
    if mode.startswith("tls"):
        # A full handshake each time: no session is ever passed back, and
        # the tickets the server sends are dropped with the connection.
        tls = ssl.create_default_context(cafile=os.environ.get("BENCH_CA"))
        dst = addr("BENCH_HTTPS", "203.0.113.80:443")
    if not mode.endswith("-dns"):
        return lambda: stream(dst, request, tls, name)

    def once():
        a, _ = lookup(dns, name)
        return stream((a, dst[1]), request, tls, name) if a else None
    return once


def work(once, n, deadline_ns):
    """Up to n operations before the deadline: (samples, errors, tried, end_ns)."""
    out, errors, done = [], 0, 0
    while done < n and time.perf_counter_ns() < deadline_ns:
        ns = once()
        if ns is None:
            errors += 1
        else:
            out.append(ns)
        done += 1
    return out, errors, done, time.perf_counter_ns()


def run_parallel(once, n, par, warmup, limit_s):
    """par forked workers; returns (samples, errors, tried, elapsed_s)."""
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    kids = []
    for i in range(par):
        res_r, res_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(res_r)
            os.close(ready_r)
            os.close(go_w)
            for _ in range(warmup):
                once()
            os.write(ready_w, b"r")
            start = struct.unpack("!Q", os.read(go_r, 8))[0]
            share = n // par + (i < n % par)
            r = work(once, share, start + int(limit_s * 1e9))
            with os.fdopen(res_w, "w") as f:
                json.dump(r, f)
            os._exit(0)
        os.close(res_w)
        kids.append((pid, res_r))
    os.close(ready_w)
    os.close(go_r)
    got = 0
    while got < par:
        b = os.read(ready_r, par)
        if not b:
            break
        got += len(b)
    start = time.perf_counter_ns()
    os.write(go_w, struct.pack("!Q", start) * par)
    samples, errors, tried, end = [], 0, 0, start
    for pid, res_r in kids:
        with os.fdopen(res_r) as f:
            text = f.read()
        os.waitpid(pid, 0)
        if not text:
            sys.exit("bench-datapath-client: a worker died")
        s, e, d, t = json.loads(text)
        samples += s
        errors += e
        tried += d
        end = max(end, t)
    return samples, errors, tried, (end - start) / 1e9


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in MODES:
        sys.exit("usage: bench-datapath-client.py %s PARALLEL TIME_LIMIT_S [MAX_OPS]"
                 % "|".join(MODES))
    mode, par, limit_s = sys.argv[1], max(1, int(sys.argv[2])), float(sys.argv[3])
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 1000000
    name = os.environ.get("BENCH_NAME", "www.example.com")
    once = operation(mode, name)
    warmup = int(os.environ.get("BENCH_WARMUP", "10"))
    warmup = max(1, -(-warmup // par)) if warmup > 0 else 0
    samples, errors, tried, elapsed = run_parallel(once, n, par, warmup, limit_s)
    attempts = tried + warmup * par
    path = os.environ.get("BENCH_SAMPLES")
    if path:
        with open(path, "w") as f:
            f.writelines("%d\n" % v for v in samples)
    lat = sorted(samples)
    out = {
        "mode": mode, "parallel": par, "count": len(lat), "errors": errors,
        "attempts": attempts,
        "lookups": attempts if mode in ("dns", "http-dns", "tls-dns") else 0,
        "conns": attempts if mode != "dns" else 0,
        "elapsed_s": round(elapsed, 3),
        "rate": round(len(lat) / elapsed, 1) if elapsed > 0 else 0.0,
        "p50_us": pct(lat, 50), "p99_us": pct(lat, 99),
        "time_limited": tried < n,
    }
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
