"""Servers in the test's internet: TCP 3333 (a mining pool), TCP 853 (DNS
over TLS: accepts and waits), UDP 443 on the given addresses (QUIC: counts
the datagrams it gets into DIR/udp-<addr>). Runs until killed; bounded
by a time-out of 300 s."""
import os
import selectors
import socket
import sys
import time

d = sys.argv[1]
addrs = sys.argv[2:]
sel = selectors.DefaultSelector()
for a in addrs:
    fam = socket.AF_INET6 if ":" in a else socket.AF_INET
    for port in (3333, 853):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a, port))
        s.listen(64)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, ("tcp", a))
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind((a, 443))
    u.setblocking(False)
    sel.register(u, selectors.EVENT_READ, ("udp", a))
counts = {}
open(os.path.join(d, "servers.ready"), "w").close()
end = time.time() + 300
conns = []
while time.time() < end:
    for key, _ in sel.select(timeout=1):
        kind, a = key.data
        if kind == "tcp":
            c, _ = key.fileobj.accept()
            conns.append(c)
        else:
            key.fileobj.recvfrom(65535)
            counts[a] = counts.get(a, 0) + 1
            with open(os.path.join(d, f"udp-{a}"), "w") as f:
                f.write(str(counts[a]))
    conns = conns[-200:]
