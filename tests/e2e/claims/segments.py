"""A TLS hello with a blacklisted SNI sent by hand (scapy): its segments in
reverse order, or after a stale byte from before the stream's start.
Prints reset (egressd stopped it) or served (the server answered with
data). The kernel's own resets for this port must be dropped by the
caller (no socket owns it)."""
import random
import sys
import time

from scapy.all import IP, TCP, AsyncSniffer, conf, sr1, send  # noqa: E402

sys.path.insert(0, sys.path[0])
from hello import client_hello  # noqa: E402

conf.verb = 0
server, sni, how, sport = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
isn = random.randrange(1 << 31)
ip = IP(dst=server)
synack = sr1(ip / TCP(sport=sport, dport=443, flags="S", seq=isn), timeout=2)
if synack is None or not synack.haslayer(TCP):
    print("no-synack")
    sys.exit(1)
ack = synack[TCP].seq + 1
send(ip / TCP(sport=sport, dport=443, flags="A", seq=isn + 1, ack=ack))
hello = client_hello([sni])
half = len(hello) // 2
segs = []
if how == "reversed":
    segs = [(isn + 1 + half, hello[half:]), (isn + 1, hello[:half])]
else:  # stale: one byte from before the start, then the hello
    segs = [(isn, b"X"), (isn + 1, hello)]
sn = AsyncSniffer(filter=f"tcp and src host {server} and src port 443 and dst port {sport}",
                  count=10, timeout=3)
sn.start()
time.sleep(0.3)
for seq, data in segs:
    send(ip / TCP(sport=sport, dport=443, flags="PA", seq=seq, ack=ack) / data)
    time.sleep(0.05)
sn.join()
got = sn.results or []
if any(p[TCP].flags & 0x04 for p in got):
    print("reset")
elif any(len(p[TCP].payload) > 0 for p in got):
    print("served")
else:
    print("nothing")
