#!/usr/bin/python3
"""Writes man/egressd.conf.5 from etc/egressd.conf: each setting with the
comment above it. Run after editing the config; tests/cli/run-config.sh
checks that every key egressd knows is in the page."""
import re
import sys

src, out = sys.argv[1], sys.argv[2]
blocks, comment = [], []
for line in open(src):
    line = line.rstrip("\n")
    m = re.match(r"^#?([a-z_]+) = ?(.*)$", line)
    if m:
        blocks.append((m.group(1), m.group(2), line.startswith("#"), comment))
        comment = []
    elif line.startswith("# ") or line == "#":
        comment.append(line[2:])
    elif not line.strip():
        comment = []  # a paragraph not followed by its key: the file's head


def esc(s):
    return s.replace("\\", "\\e").replace("-", "\\-")


seen, text = set(), []
for key, val, commented, com in blocks:
    if key in seen:
        if com:
            text.append(".IP\n" + esc(" ".join(com)))
        continue
    seen.add(key)
    text.append(f'.TP\n.B {key} = {esc(val) if val else ""}\n' +
                (esc(" ".join(com)) if com else "See above.") +
                ("\n(Commented out in the shipped file: the default applies.)"
                 if commented else ""))
page = r""".TH EGRESSD.CONF 5 "2026-12-01" "egressd" "File Formats"
.SH NAME
egressd.conf \- settings of egressd run
.SH SYNOPSIS
/etc/egressd/egressd.conf
.SH DESCRIPTION
One setting per line, \fBkey = value\fR; lines starting with \fB#\fR are
comments. Every key can also be given as a flag of \fBegressd run\fR
(\fB\-\-mode\fR, \fB\-\-queue\fR...); flags win over the file. A key given
twice is an error, except \fBblacklist\fR, \fBwhitelist\fR and
\fBcontainer_if\fR, which add. A bad line stops \fBegressd run\fR and
\fBegressd check\-config\fR with the file and line. SIGHUP reloads the lists
(the other settings need a restart).
.SH SETTINGS
""" + "\n".join(text) + r"""
.SH FILES
/etc/egressd/egressd.conf, /usr/share/egressd/lists/, /usr/share/egressd/egressd.nft
.SH SEE ALSO
.BR egressd (8),
.BR egressctl (8)
"""
open(out, "w").write(page)
