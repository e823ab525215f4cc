#!/usr/bin/env python3
"""Seeds the fuzz corpora from the real captures in tests/data/captures:
Ethernet frames (pkt, prefixed with the link-type selector byte 1), UDP DNS
payloads and TCP DNS streams (dns), client TLS payloads (tls, prefixed with
the segment-size byte), HTTP request heads (http), QUIC datagrams to UDP 443
(quic, prefixed with the raw-datagram selector byte 1), and the list examples
in tests/data/lists (list). Pure Python: reads classic pcap files only."""
import hashlib
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CAPS = ROOT / "tests/data/captures"
CORPUS = ROOT / "tests/fuzz/corpus"


def frames(path):
    data = path.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def l4(frame):
    et = struct.unpack(">H", frame[12:14])[0]
    ip = frame[14:]
    if et == 0x0800:
        ihl = (ip[0] & 15) * 4
        proto, tot = ip[9], struct.unpack(">H", ip[2:4])[0]
        seg = ip[ihl:tot]
    elif et == 0x86DD:
        proto, seg = ip[6], ip[40:40 + struct.unpack(">H", ip[4:6])[0]]
    else:
        return None
    if proto == 17:
        sp, dp = struct.unpack(">HH", seg[:4])
        return "udp", sp, dp, seg[8:]
    if proto == 6:
        sp, dp = struct.unpack(">HH", seg[:4])
        return "tcp", sp, dp, seg[(seg[12] >> 4) * 4:]
    return None


def save(kind, blob):
    d = CORPUS / kind
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(blob).hexdigest()[:16]).write_bytes(blob)


def main():
    for cap in sorted(CAPS.glob("*.pcap")):
        streams = {}
        for fr in frames(cap):
            save("pkt", b"\x01" + fr)
            x = l4(fr)
            if not x or not x[3]:
                continue
            proto, sp, dp, pay = x
            if proto == "udp" and 53 in (sp, dp):
                save("dns", pay)
            elif proto == "udp" and dp == 443:
                save("quic", b"\x01" + pay)
            elif proto == "tcp":
                streams.setdefault((sp, dp), bytearray()).extend(pay)
        for (sp, dp), data in streams.items():
            data = bytes(data[:16384])
            if 53 in (sp, dp):
                save("dns", data)
            elif data[:1] == b"\x16":
                save("tls", b"\xff" + data)
                save("tls", b"\x00" + data)
            elif dp in (80, 443) and data[:1].isalpha():
                save("http", data[:data.find(b"\r\n\r\n") + 4])
    for f in sorted((ROOT / "tests/data/lists").glob("*")):
        save("list", f.read_bytes())
    for k in ("pkt", "dns", "tls", "http", "list", "quic"):
        n = len(list((CORPUS / k).glob("*")))
        print(f"{k}: {n} seeds")


if __name__ == "__main__":
    sys.exit(main())
