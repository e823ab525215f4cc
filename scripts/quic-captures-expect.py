#!/usr/bin/env python3
"""Writes the .expect lines of a QUIC capture from tshark's reading only
(tshark decrypts client Initials and reassembles their CRYPTO frames):

    quic sni=<names or -> alpn=<list or -> ech=<0|1> dst=<ip:port>
        at the datagram where tshark completed a ClientHello, in frame order;
    quic incomplete bytes=<n> contig=<n> dst=<ip:port>
        then, for each connection (UDP flow and first DCID) in which tshark
        saw CRYPTO data but no complete ClientHello: how many bytes of the
        stream it saw, and how many from offset 0 without a gap.

Usage: quic-captures-expect.py FILE.pcap"""
import subprocess
import sys

FIELDS = ["frame.number", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst",
          "udp.srcport", "udp.dstport", "quic.dcid", "quic.crypto.offset",
          "quic.crypto.length", "tls.handshake.type",
          "tls.handshake.extensions_server_name",
          "tls.handshake.extensions_alpn_str", "tls.handshake.extension.type"]


def rows(path):
    cmd = ["tshark", "-n", "-r", path, "-Y", "quic && udp.dstport == 443",
           "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
           "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    for line in out.stdout.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        yield {k: (v.get(k) or "") for k in FIELDS}


def dst(r):
    if r["ipv6.dst"]:
        return f"[{r['ipv6.dst']}]:{r['udp.dstport']}"
    return f"{r['ip.dst']}:{r['udp.dstport']}"


def ints(s):
    return [int(x) for x in s.split(",") if x]


def main():
    conns = {}  # (flow, first DCID) -> set of stream offsets, done, dst
    flows = {}  # flow -> its current connection key
    hellos = []
    for r in rows(sys.argv[1]):
        flow = (r["ip.src"] or r["ipv6.src"], r["udp.srcport"], dst(r))
        dcid = r["quic.dcid"].split(",")[0]
        key = flows.get(flow)
        if key is None or (dcid != key[1] and dcid not in conns[key]["cids"]
                           and "0" in r["quic.crypto.offset"].split(",")):
            key = (flow, dcid)  # a new connection on this flow
            flows[flow] = key
            conns[key] = {"have": set(), "done": False, "cids": {dcid},
                          "dst": dst(r), "order": len(conns)}
        c = conns[key]
        c["cids"].add(dcid)
        for off, n in zip(ints(r["quic.crypto.offset"]),
                          ints(r["quic.crypto.length"])):
            c["have"].update(range(off, off + n))
        if "1" in r["tls.handshake.type"].split(",") and not c["done"]:
            c["done"] = True
            sni = r["tls.handshake.extensions_server_name"].lower() or "-"
            alpn = r["tls.handshake.extensions_alpn_str"] or "-"
            types = r["tls.handshake.extension.type"].split(",")
            ech = int("65037" in types)
            hellos.append(f"quic sni={sni} alpn={alpn} ech={ech} dst={c['dst']}")
    for line in hellos:
        print(line)
    for c in sorted(conns.values(), key=lambda c: c["order"]):
        if c["done"] or not c["have"]:
            continue
        contig = 0
        while contig in c["have"]:
            contig += 1
        print(f"quic incomplete bytes={len(c['have'])} contig={contig} "
              f"dst={c['dst']}")


if __name__ == "__main__":
    main()
