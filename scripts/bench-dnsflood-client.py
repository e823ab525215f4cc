#!/usr/bin/env python3
"""DNS flood client of scripts/bench-dnsflood.sh.

Usage: bench-dnsflood-client.py RATE SECONDS [SOCKETS=64]

Runs in a container namespace. Sends A queries for random names
(<12 random letters>.flood.test) to $BENCH_DNS (default 203.0.113.53:53)
at RATE per second for SECONDS, round-robin over SOCKETS UDP sockets
(each a fixed flow, as a busy resolver stub pool would be), paced in 1 ms
steps, and reads every answer that comes back (until 1 s after the last
send). Prints one JSON line: sent, answered, rcodes, send_errors,
achieved send rate, answer latency p50/p99 (us).
"""
import json
import os
import random
import select
import socket
import string
import struct
import sys
import time


def query(qid, name):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00" + struct.pack("!HH", 1, 1)


def main():
    rate, secs = int(sys.argv[1]), float(sys.argv[2])
    nsock = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    host, _, port = os.environ.get("BENCH_DNS", "203.0.113.53:53").rpartition(":")
    socks = []
    ep = select.epoll()
    for _ in range(nsock):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.connect((host, int(port)))
        s.setblocking(False)
        ep.register(s.fileno(), select.EPOLLIN)
        socks.append(s)
    byfd = {s.fileno(): s for s in socks}
    pending = {}  # (fd, qid) -> send time ns
    sent = answered = errors = 0
    rcodes = {}
    lat = []
    letters = string.ascii_lowercase
    t0 = time.perf_counter_ns()
    end = t0 + int(secs * 1e9)
    i = 0

    def drain(timeout):
        nonlocal answered
        for fd, _ in ep.poll(timeout):
            s = byfd[fd]
            while True:
                try:
                    a = s.recv(4096)
                except BlockingIOError:
                    break
                if len(a) < 12:
                    continue
                qid, flags = struct.unpack("!HH", a[:4])
                t = pending.pop((fd, qid), None)
                if t is None:
                    continue
                answered += 1
                lat.append(time.perf_counter_ns() - t)
                rc = flags & 0xF
                rcodes[rc] = rcodes.get(rc, 0) + 1

    while True:
        now = time.perf_counter_ns()
        if now >= end:
            break
        due = int((now - t0) * rate / 1e9)
        while sent + errors < due:
            s = socks[i % nsock]
            i += 1
            qid = random.getrandbits(16)
            name = "".join(random.choices(letters, k=12)) + ".flood.test"
            try:
                s.send(query(qid, name))
                pending[(s.fileno(), qid)] = time.perf_counter_ns()
                sent += 1
            except OSError:
                errors += 1
        drain(0)
        time.sleep(0.0005)
    last = time.perf_counter_ns()
    while pending and time.perf_counter_ns() < last + 1e9:
        drain(0.05)
    lat.sort()

    def pct(p):
        return round(lat[min(len(lat) - 1, len(lat) * p // 100)] / 1000.0, 1) if lat else None
    print(json.dumps({"rate_asked": rate, "seconds": secs, "sockets": nsock,
                      "sent": sent, "send_errors": errors, "answered": answered,
                      "unanswered": sent - answered,
                      "send_rate": round(sent / ((last - t0) / 1e9), 1),
                      "rcodes": rcodes, "p50_us": pct(50), "p99_us": pct(99)}))


if __name__ == "__main__":
    main()
