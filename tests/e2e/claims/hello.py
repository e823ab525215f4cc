"""TLS ClientHellos and HTTP requests in the shapes egressd must read or
call unreadable (issue 9), built byte by byte."""
import os
import struct


def ext(t, body):
    return struct.pack("!HH", t, len(body)) + body


def sni_ext(names):
    lst = b"".join(b"\x00" + struct.pack("!H", len(n)) + n for n in names)
    return ext(0, struct.pack("!H", len(lst)) + lst)


def client_hello(names=(), pad=0, extra_exts=0, raw_names=None):
    """names: str server names (one server_name extension); raw_names:
    bytes names as they are; pad: bytes of an unknown extension; extra_exts:
    that many small unknown extensions before server_name."""
    exts = b""
    for i in range(extra_exts):
        exts += ext(0x7000 + i, b"\x00")
    if pad:
        exts += ext(0x7fff, b"\x00" * pad)
    ns = list(raw_names or []) + [n.encode() for n in names]
    if ns:
        exts += sni_ext(ns)
    exts += ext(43, b"\x02\x03\x04")  # supported_versions: TLS 1.3
    exts += ext(10, b"\x00\x02\x00\x1d")  # groups: x25519
    exts += ext(51, b"\x00\x26\x00\x1d\x00\x20" + os.urandom(32))  # key share
    exts += ext(13, b"\x00\x02\x04\x03")  # signature algorithms
    body = (b"\x03\x03" + os.urandom(32) + b"\x00" + b"\x00\x02\x13\x01" +
            b"\x01\x00" + struct.pack("!H", len(exts)) + exts)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    out = b""
    for i in range(0, len(hs), 16384):  # records of at most 2^14 bytes
        chunk = hs[i:i + 16384]
        out += b"\x16\x03\x01" + struct.pack("!H", len(chunk)) + chunk
    return out


def shapes(bad, good):
    """The 8 shapes of issue 9 that carried a blacklisted name, as
    (name, port, bytes)."""
    long_name = ".".join(["a" * 60] * 4) + "." + bad  # over 253 characters
    return [
        ("two SNIs", 443, client_hello([good, bad])),
        ("a 17 KB hello", 443, client_hello([bad], pad=17000)),
        ("200 extensions before the SNI", 443, client_hello([bad], extra_exts=200)),
        ("an SNI over 253 characters", 443, client_hello([long_name])),
        ("evil\\0.good in the SNI", 443,
         client_hello(raw_names=[bad.encode() + b"\x00." + good.encode()])),
        ("two Host headers", 80,
         f"GET / HTTP/1.1\r\nHost: {good}\r\nHost: {bad}\r\n\r\n".encode()),
        ("absolute URI with a good Host", 80,
         f"GET http://{bad}/ HTTP/1.1\r\nHost: {good}\r\n\r\n".encode()),
        ("a Host after 8 KiB of headers", 80,
         ("GET / HTTP/1.1\r\n" + "".join(f"X-Fill-{i}: {'y' * 100}\r\n" for i in range(90)) +
          f"Host: {bad}\r\n\r\n").encode()),
    ]
