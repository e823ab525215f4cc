"""Sends the client Initials of a real Chromium capture again, from this
namespace, to the given server address and port 443: the keys come from
the DCID alone, so they read the same from any address. Sends the first
N datagrams (default 2: Chromium's hello spans two)."""
import socket
import sys
import time

from scapy.all import UDP, rdpcap  # noqa: E402

pcap, server = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 2
dgrams = [bytes(p[UDP].payload) for p in rdpcap(pcap)
          if p.haslayer(UDP) and p[UDP].dport == 443][:n]
fam = socket.AF_INET6 if ":" in server else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
for d in dgrams:
    s.sendto(d, (server, 443))
    time.sleep(0.05)
print(len(dgrams), sum(len(d) for d in dgrams))
