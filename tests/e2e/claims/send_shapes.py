"""Sends each shape to the server on its own connection; prints one line
per shape: reset (the connection was reset: stopped) or pass."""
import socket
import sys
import time

sys.path.insert(0, sys.path[0])
from hello import shapes  # noqa: E402

server, bad, good = sys.argv[1:4]
for name, port, data in shapes(bad, good):
    s = socket.create_connection((server, port), timeout=3)
    got = "pass"
    try:
        s.sendall(data)
        s.settimeout(2)
        s.recv(100)
        time.sleep(0.2)
        s.send(b"\x00")
        s.recv(100)
    except ConnectionResetError:
        got = "reset"
    except (socket.timeout, BrokenPipeError, OSError):
        pass
    s.close()
    print(f"{got} {name}")
