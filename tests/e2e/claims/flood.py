"""A flood from this namespace (raw sockets): N TCP SYNs from random
ports, then N data segments that start like a TLS hello from random
ports, to server:443. Checksums are right: the kernel takes them as
real packets."""
import random
import socket
import struct
import sys

src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])


def csum(b):
    if len(b) % 2:
        b += b"\x00"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


sa, da = socket.inet_aton(src), socket.inet_aton(dst)
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
sent = 0
for flags, payload in ((0x02, b""), (0x18, b"\x16\x03\x01\x02\x00\x01")):
    for i in range(n):
        # Below 50000: the segment tests that follow use 50000-50010,
        # and a flood packet on their 4-tuple a moment before leaves
        # conntrack and the SYN map in states of its own.
        sport = random.randrange(1024, 50000)
        seq = random.randrange(1 << 32)
        hdr = struct.pack("!HHIIBBHHH", sport, 443, seq, 0, 5 << 4, flags, 64240, 0, 0)
        pseudo = sa + da + struct.pack("!BBH", 0, 6, len(hdr) + len(payload))
        c = csum(pseudo + hdr + payload)
        hdr = hdr[:16] + struct.pack("!H", c) + hdr[18:]
        try:
            raw.sendto(hdr + payload, (dst, 0))
            sent += 1
        except OSError:
            pass
print(sent)
