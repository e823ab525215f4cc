#!/usr/bin/env python3
"""Replays every capture in tests/data/captures through `egressd replay
--json` and compares the observations with the .expect file beside it,
which tshark wrote (scripts/captures-expect.py), never egressd.
Usage: check_captures.py EGRESSD CAPTURE_DIR"""
import json
import subprocess
import sys
from pathlib import Path

# egressd replay does not read QUIC yet: src/quic*.c is the reader, the
# engine that will call it is being rebuilt. Until it does, the `quic` lines
# of the .expect files are left out here (and counted in the summary); they
# are checked against the reader itself by check_quic_captures.py. Set this
# to True when replay emits them (kinds "quic" and "quic_incomplete").
QUIC_IN_REPLAY = True


def to_expect(o):
    k = o["kind"]
    if k == "dns_query":
        return f"dns_query {o['qname']} {o['qtype']}"
    if k == "dns":
        addrs = ",".join(sorted(o["addrs"])) or "-"
        cnames = ",".join(o["cnames"]) or "-"
        return f"dns {o['qname']} rcode={o['rcode']} addrs={addrs} cnames={cnames}"
    if k == "tls":
        alpn = ",".join(o["alpn"]) or "-"
        return (f"tls sni={o['sni'] or '-'} alpn={alpn} "
                f"ech={int(o['ech'])} dst={o['dst']}")
    if k == "http":
        host = o["host"] or "-"
        return f"http host={host} dst={o['dst']}"
    if k == "quic":
        alpn = ",".join(o["alpn"]) or "-"
        return (f"quic sni={','.join(o['sni']) or '-'} alpn={alpn} "
                f"ech={int(o['ech'])} dst={o['dst']}")
    if k == "quic_incomplete":
        return (f"quic incomplete bytes={o['bytes']} contig={o['contig']} "
                f"dst={o['dst']}")
    raise ValueError(f"unknown kind {k}")


def main():
    egressd, capdir = sys.argv[1], Path(sys.argv[2])
    caps = sorted(capdir.glob("*.pcap"))
    failed = left_out = 0
    for cap in caps:
        want = cap.with_suffix(".expect").read_text().splitlines()
        if not QUIC_IN_REPLAY:
            left_out += sum(w.startswith("quic ") for w in want)
            want = [w for w in want if not w.startswith("quic ")]
        p = subprocess.run([egressd, "replay", "--json", "--pcap", str(cap)],
                           capture_output=True, text=True, timeout=60)
        got = [to_expect(json.loads(l)) for l in p.stdout.splitlines()]
        if p.returncode != 0 or got != want or p.stderr:
            failed += 1
            print(f"FAIL {cap.name} (exit {p.returncode}) {p.stderr.strip()}")
            for w in want:
                print(f"   want {w}")
            for g in got:
                print(f"   got  {g}")
        else:
            print(f"ok   {cap.name}: {len(got)} observations")
    print(f"{len(caps) - failed} captures match tshark, {failed} differ")
    if left_out:
        print(f"{left_out} quic lines not compared: replay does not read QUIC "
              f"yet (check_quic_captures.py compares them with the reader)")
    sys.exit(1 if failed or not caps else 0)


if __name__ == "__main__":
    main()
