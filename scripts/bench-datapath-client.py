#!/usr/bin/env python3
"""Client of the datapath benchmark (scripts/bench-datapath.sh).

Usage: bench-datapath-client.py MODE N [TIME_LIMIT_S=60 [PARALLEL=1]]

Runs inside a container namespace of the test bed and prints one JSON line.

  http     a new TCP connection to $BENCH_HTTP (default 203.0.113.80:80),
           "GET / HTTP/1.0" with Host $BENCH_NAME (default
           www.example.com), read the answer until the server closes, close.
  tls      a new TCP connection to $BENCH_HTTPS (default 203.0.113.80:443),
           a full TLS handshake (no session resumed) with SNI $BENCH_NAME,
           the server's certificate checked against the CA file $BENCH_CA,
           the same GET, read to the end, close.
  dns      a new UDP socket (so a new source port and a new conntrack flow,
           like a stub resolver), an A query for $BENCH_NAME sent to
           $BENCH_DNS (default 203.0.113.53:53), wait for the answer with
           the same id (NOERROR, at least one answer record).
  resolve  one dns lookup, not timed (a container that looked the name up
           before it connects); N is ignored.

The latency of http and tls is the whole exchange, from the start of
connect() to the server's close: with egressd the first payload (the
request or the ClientHello) is the packet that waits in the queue, not the
SYN.  connect_* is the TCP handshake alone.  The latency of dns is from
send() to the answer.

PARALLEL workers (processes) run at once, each its share of the N
operations, one after the other; the rate is all their operations over the
time from the common start to the last one's end.  Stops after N measured
operations or TIME_LIMIT_S seconds, whichever comes first.  $BENCH_WARMUP
(default 10, spread over the workers, at least 1 each) operations go first
and are not counted.  With $BENCH_SAMPLES set, the raw samples go to that
file as well, one line per successful operation: the latency in ns (http,
tls: the whole exchange, then the TCP handshake).  Only the standard
library.

Output: {"mode", "parallel", "count", "errors", "attempts", "elapsed_s",
"rate", "p50_us", "p99_us", ...}: count = successful measured operations,
attempts = every operation tried including the warm-up (what the queue saw),
rate = count / elapsed_s, percentiles nearest rank.
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
MODES = ("http", "tls", "dns", "resolve")


def addr(env, default):
    host, _, port = os.environ.get(env, default).rpartition(":")
    return host, int(port)


def pct(sorted_ns, p):
    """Nearest-rank percentile, in microseconds."""
    if not sorted_ns:
        return None
    k = max(0, min(len(sorted_ns) - 1, -(-len(sorted_ns) * p // 100) - 1))
    return round(sorted_ns[k] / 1000.0, 1)


def read_all(s):
    got = b""
    while True:
        b = s.recv(65536)
        if not b:
            return got
        got += b


def stream_once(dst, request, tls, name, out):
    """One connection; appends (whole, handshake) ns to out when given."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT_S)
    try:
        t0 = time.perf_counter_ns()
        s.connect(dst)
        t1 = time.perf_counter_ns()
        if tls:
            s = tls.wrap_socket(s, server_hostname=name)  # handshakes here
        s.sendall(request)
        got = read_all(s)
        t2 = time.perf_counter_ns()
    except (OSError, ssl.SSLError):
        return False
    finally:
        s.close()
    if not (got.startswith(b"HTTP/1.1 200") or got.startswith(b"HTTP/1.0 200")):
        return False
    if tls and b"sni=" + name.encode("ascii") not in got:
        return False
    if out is not None:
        out.append((t2 - t0, t1 - t0))
    return True


def dns_query(qid, name):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)  # RD, 1 question
    for label in name.rstrip(".").split("."):
        q += struct.pack("!B", len(label)) + label.encode("ascii")
    return q + b"\x00" + struct.pack("!HH", 1, 1)  # A, IN


def dns_once(dst, name, out):
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
    if out is not None:
        out.append((t1 - t0,))
    return True


def operation(mode, name):
    """The function that runs one operation of mode: once(out) -> bool."""
    dns = addr("BENCH_DNS", "203.0.113.53:53")
    if mode in ("dns", "resolve"):
        return lambda out: dns_once(dns, name, out)
    request = ("GET / HTTP/1.0\r\nHost: %s\r\nUser-Agent: bench-datapath\r\n\r\n"
               % name).encode("ascii")
    if mode == "http":
        dst = addr("BENCH_HTTP", "203.0.113.80:80")
        return lambda out: stream_once(dst, request, None, name, out)
    ctx = ssl.create_default_context(cafile=os.environ.get("BENCH_CA"))
    # A full handshake each time: no session is ever passed back, and the
    # tickets the server sends are dropped with the connection.
    dst = addr("BENCH_HTTPS", "203.0.113.80:443")
    return lambda out: stream_once(dst, request, ctx, name, out)


def work(once, n, warmup, deadline_ns):
    """Warm-up, then up to n operations: (samples, errors, tried, end_ns)."""
    for _ in range(warmup):
        once(None)
    out, errors, done = [], 0, 0
    while done < n and time.perf_counter_ns() < deadline_ns:
        if not once(out):
            errors += 1
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
                once(None)
            os.write(ready_w, b"r")
            start = struct.unpack("!Q", os.read(go_r, 8))[0]
            share = n // par + (i < n % par)
            r = work(once, share, 0, start + int(limit_s * 1e9))
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
        samples += [tuple(x) for x in s]
        errors += e
        tried += d
        end = max(end, t)
    return samples, errors, tried, (end - start) / 1e9


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in MODES:
        sys.exit("usage: bench-datapath-client.py %s N [TIME_LIMIT_S=60 [PARALLEL=1]]"
                 % "|".join(MODES))
    mode, n = sys.argv[1], int(sys.argv[2])
    limit_s = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
    par = max(1, int(sys.argv[4])) if len(sys.argv) > 4 else 1
    name = os.environ.get("BENCH_NAME", "www.example.com")
    once = operation(mode, name)
    if mode == "resolve":
        if not once(None):
            sys.exit("bench-datapath-client: cannot resolve %s" % name)
        print(json.dumps({"mode": mode, "count": 1, "attempts": 1}), flush=True)
        return 0
    warmup = int(os.environ.get("BENCH_WARMUP", "10"))
    warmup = max(1, -(-warmup // par)) if warmup > 0 else 0
    if par == 1:
        for _ in range(warmup):  # not timed
            once(None)
        start = time.perf_counter_ns()
        samples, errors, tried, end = work(once, n, 0, start + int(limit_s * 1e9))
        elapsed = (end - start) / 1e9
    else:
        samples, errors, tried, elapsed = run_parallel(once, n, par, warmup, limit_s)
    path = os.environ.get("BENCH_SAMPLES")
    if path:
        with open(path, "w") as f:
            f.writelines(" ".join("%d" % v for v in s) + "\n" for s in samples)
    lat = sorted(s[0] for s in samples)
    out = {
        "mode": mode, "parallel": par, "count": len(lat), "errors": errors,
        "attempts": tried + warmup * par,
        "elapsed_s": round(elapsed, 3),
        "rate": round(len(lat) / elapsed, 1) if elapsed > 0 else 0.0,
        "p50_us": pct(lat, 50), "p99_us": pct(lat, 99),
        "time_limited": tried < n,
    }
    if mode in ("http", "tls"):
        hs = sorted(s[1] for s in samples)
        out["connect_p50_us"] = pct(hs, 50)
        out["connect_p99_us"] = pct(hs, 99)
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
