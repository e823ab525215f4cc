#!/usr/bin/env python3
"""Turn tshark's reading of a capture into egressd's .expect lines.

Usage: captures-expect.py FILE.pcap            -> .expect lines on stdout
       captures-expect.py --info FILE.pcap     -> human notes on each ClientHello

Only tshark's dissection is used (PDML output, TCP reassembly on), never egressd.
Lines, in frame order (several DNS messages in one frame keep their order):
  dns_query <qname> <QTYPE>
  dns <qname> rcode=<n> addrs=<a,b|-> cnames=<c1,c2|->
  tls sni=<name|-> alpn=<p1,p2|-> ech=<0|1> dst=<ip:port|[ip6]:port>
  http host=<host|-> dst=<ip:port|[ip6]:port>
Names are lowercase without the trailing dot. addrs are the A/AAAA data of the
answer section, sorted as strings. cnames are the CNAME targets followed from
the question name, in chain order. http host: lowercase, port (and IPv6
brackets) removed. ech=1 when the ClientHello carries extension 0xfe0d
(encrypted_client_hello), real or GREASE.
"""
import subprocess
import sys
import xml.etree.ElementTree as ET

QTYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT",
          28: "AAAA", 33: "SRV", 35: "NAPTR", 39: "DNAME", 43: "DS", 48: "DNSKEY",
          64: "SVCB", 65: "HTTPS", 255: "ANY"}
ECH_EXT = 0xFE0D


def tshark_pdml(path):
    cmd = ["tshark", "-n", "-r", path,
           "-o", "tcp.desegment_tcp_streams:TRUE",
           "-o", "tls.desegment_ssl_records:TRUE",
           "-o", "tls.desegment_ssl_application_data:TRUE",
           "-o", "http.desegment_headers:TRUE",
           "-T", "pdml"]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout
    return ET.fromstring(out)


def show(el):
    return el.get("show", "")


def first(el, name):
    for f in el.iter("field"):
        if f.get("name") == name:
            return f
    return None


def all_named(el, name):
    return [f for f in el.iter("field") if f.get("name") == name]


def section(dns, title):
    for f in dns.findall("field"):
        if f.get("name") == "" and show(f) == title:
            return f.findall("field")
    return []


def norm(name):
    name = name.strip().lower()
    if name in ("<root>", ""):
        return "."
    return name[:-1] if name.endswith(".") and len(name) > 1 else name


def endpoint(pkt):
    ip = port = None
    for p in pkt.findall("proto"):
        n = p.get("name")
        if ip is None and n == "ip":
            ip = show(first(p, "ip.dst"))
        elif ip is None and n == "ipv6":
            ip = "[%s]" % show(first(p, "ipv6.dst"))
        elif port is None and n in ("tcp", "udp"):
            port = show(first(p, n + ".dstport"))
    return "%s:%s" % (ip, port)


def dns_lines(dns):
    out = []
    resp = first(dns, "dns.flags.response")
    is_resp = resp is not None and show(resp) == "1"
    qs = []
    for q in section(dns, "Queries"):
        qn, qt = first(q, "dns.qry.name"), first(q, "dns.qry.type")
        if qn is None or qt is None:
            continue
        t = int(show(qt))
        qs.append((norm(show(qn)), QTYPES.get(t, "TYPE%d" % t)))
    if not is_resp:
        return ["dns_query %s %s" % q for q in qs]
    rcode = show(first(dns, "dns.flags.rcode")) or "0"
    addrs, cn = [], {}
    for rr in section(dns, "Answers"):
        rt = first(rr, "dns.resp.type")
        if rt is None:
            continue
        t = int(show(rt))
        if t == 1 and first(rr, "dns.a") is not None:
            addrs.append(show(first(rr, "dns.a")))
        elif t == 28 and first(rr, "dns.aaaa") is not None:
            addrs.append(show(first(rr, "dns.aaaa")))
        elif t == 5 and first(rr, "dns.cname") is not None:
            cn.setdefault(norm(show(first(rr, "dns.resp.name"))), norm(show(first(rr, "dns.cname"))))
    for qname, _ in qs[:1]:
        chain, cur = [], qname
        while cur in cn and len(chain) < 16:
            cur = cn[cur]
            chain.append(cur)
        out.append("dns %s rcode=%s addrs=%s cnames=%s" % (
            qname, rcode, ",".join(sorted(addrs)) or "-", ",".join(chain) or "-"))
    return out


def client_hellos(tls):
    for hs in all_named(tls, "tls.handshake"):
        t = first(hs, "tls.handshake.type")
        if t is not None and show(t) == "1":
            yield hs


def ext_types(hs):
    return [int(show(f)) for f in all_named(hs, "tls.handshake.extension.type")]


def tls_line(hs, dst):
    sni = first(hs, "tls.handshake.extensions_server_name")
    alpn = [show(f) for f in all_named(hs, "tls.handshake.extensions_alpn_str")]
    ech = 1 if ECH_EXT in ext_types(hs) else 0
    return "tls sni=%s alpn=%s ech=%d dst=%s" % (
        show(sni).lower() if sni is not None else "-", ",".join(alpn) or "-", ech, dst)


def http_line(http, dst):
    if first(http, "http.request.method") is None:
        return None
    h = first(http, "http.host")
    host = show(h).strip().lower() if h is not None else ""
    if host.startswith("["):
        host = host[1:host.find("]")] if "]" in host else host[1:]
    elif host.count(":") == 1:
        host = host.split(":")[0]
    return "http host=%s dst=%s" % (host or "-", dst)


def expect(root):
    lines = []
    for pkt in root.iter("packet"):
        names = [p.get("name") for p in pkt.iter("proto")]
        if "icmp" in names or "icmpv6" in names:   # quoted headers inside ICMP errors
            continue
        dst = endpoint(pkt)
        for p in pkt.iter("proto"):
            n = p.get("name")
            if n == "dns":
                lines += dns_lines(p)
            elif n == "tls":
                lines += [tls_line(hs, dst) for hs in client_hellos(p)]
            elif n == "http":
                line = http_line(p, dst)
                if line:
                    lines.append(line)
    return lines


def info(root):
    """Notes on every ClientHello: frame, TCP segments, sizes, ECH details."""
    out = []
    for pkt in root.iter("packet"):
        frame = show(first(pkt, "frame.number"))
        for p in pkt.iter("proto"):
            if p.get("name") != "tls":
                continue
            for hs in client_hellos(p):
                segs = first(pkt, "tcp.segment.count")
                rlen = first(pkt, "tcp.reassembled.length")
                hlen = first(hs, "tls.handshake.length")
                ech = ""
                for e in hs.findall("field"):
                    t = first(e, "tls.handshake.extension.type")
                    if t is not None and int(show(t)) == ECH_EXT:
                        d = bytes.fromhex(first(e, "tls.handshake.extension.data").get("value", ""))
                        if len(d) >= 8 and d[0] == 0:
                            enc = int.from_bytes(d[6:8], "big")
                            pl = int.from_bytes(d[8 + enc:10 + enc], "big")
                            ech = " ech: outer kdf=%d aead=%d config_id=0x%02x enc=%dB payload=%dB" % (
                                int.from_bytes(d[1:3], "big"), int.from_bytes(d[3:5], "big"), d[5], enc, pl)
                        else:
                            ech = " ech: %d bytes" % len(d)
                out.append("frame %s: ClientHello handshake_len=%s tcp_segments=%s reassembled=%s%s %s" % (
                    frame, show(hlen) if hlen is not None else "?",
                    show(segs) if segs is not None else "1",
                    show(rlen) if rlen is not None else "-", ech, tls_line(hs, endpoint(pkt))))
    return out


def main():
    args = sys.argv[1:]
    mode = "expect"
    if args and args[0] == "--info":
        mode, args = "info", args[1:]
    if len(args) != 1:
        sys.exit(__doc__)
    root = tshark_pdml(args[0])
    for line in (info(root) if mode == "info" else expect(root)):
        print(line)


if __name__ == "__main__":
    main()
