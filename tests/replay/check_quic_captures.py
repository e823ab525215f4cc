#!/usr/bin/env python3
"""Runs the QUIC reader (tests/replay/quic_replay, src/quic*.c) over every
tests/data/captures/quic-*.pcap and compares what it read with the .expect
file beside it, which tshark wrote (scripts/quic-captures-expect.py). When
tshark is installed, tshark reads the capture again now and must agree with
the .expect file too.
Usage: check_quic_captures.py QUIC_REPLAY CAPTURE_DIR"""
import shutil
import subprocess
import sys
from pathlib import Path

EXPECT = Path(__file__).resolve().parents[2] / "scripts" / "quic-captures-expect.py"


def main():
    tool, capdir = sys.argv[1], Path(sys.argv[2])
    caps = sorted(capdir.glob("quic-*.pcap"))
    tshark = shutil.which("tshark")
    failed = 0
    for cap in caps:
        want = cap.with_suffix(".expect").read_text().splitlines()
        p = subprocess.run([tool, str(cap)], capture_output=True, text=True,
                           timeout=60)
        got = p.stdout.splitlines()
        bad = p.returncode != 0 or p.stderr or got != want or not want
        if tshark:
            t = subprocess.run([sys.executable, str(EXPECT), str(cap)],
                               capture_output=True, text=True, timeout=60)
            if t.returncode != 0 or t.stdout.splitlines() != want:
                bad = True
                print(f"FAIL {cap.name}: tshark now reads otherwise")
                for line in t.stdout.splitlines():
                    print(f"   tshark {line}")
        if bad:
            failed += 1
            print(f"FAIL {cap.name} (exit {p.returncode}) {p.stderr.strip()}")
            for w in want:
                print(f"   want {w}")
            for g in got:
                print(f"   got  {g}")
        else:
            print(f"ok   {cap.name}: {len(got)} lines"
                  f"{', tshark agrees' if tshark else ''}")
    if not tshark:
        print("tshark not installed: compared with the .expect files only")
    print(f"{len(caps) - failed} QUIC captures read as tshark read them, "
          f"{failed} differ")
    sys.exit(1 if failed or not caps else 0)


if __name__ == "__main__":
    main()
