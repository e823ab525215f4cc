# Control-socket clients that misbehave: early close, refused peer, idle,
# slow, never reading, Ctrl-C during a slow command. egressd stays up and
# egressctl answers a well-behaved request in under a second meanwhile.
SOCK=$SEC/ctl.sock
ctl() { "$EGRESSCTL" --socket "$SOCK" "$@"; }
alive() { kill -0 "$pid" 2>/dev/null; }
# quick: egressctl containers must answer within 1 s (wall clock).
quick() {
	local t0 t1
	t0=$(date +%s%N)
	timeout 5 "$EGRESSCTL" --socket "$SOCK" containers >/dev/null 2>&1 || return 1
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000000 ))
	[ $(( (t1 - t0) / 1000000 )) -lt 1000 ]
}
start_egressd --state-dir "$SEC/state" --socket "$SOCK"

# 1. Early close: a request, then gone before the reply (10 times).
for i in $(seq 10); do
	/usr/bin/python3 - "$SOCK" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{"cmd":"containers"}\n'); s.close()
PY
done
sleep 0.3
alive && ok "10 clients closing before the reply: egressd is up" || bad "egressd died after early-closing clients"

# 2. A refused peer (nobody) that closes at once.
for i in $(seq 5); do
	setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 - "$SOCK" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.close()
PY
done
sleep 0.3
alive && ok "refused peers closing at once: egressd is up" || bad "egressd died after refused peers"

# 3. 50 idle connections held open, one slow writer (a byte every 1.5 s),
#    one client that sends a request and never reads its reply.
/usr/bin/python3 - "$SOCK" "$SEC/hold.pid" <<'PY' &
import os, socket, sys, time
os.makedirs(os.path.dirname(sys.argv[2]), exist_ok=True)
open(sys.argv[2], "w").write(str(os.getpid()))
idle = []
for _ in range(50):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); idle.append(s)
slow = socket.socket(socket.AF_UNIX); slow.connect(sys.argv[1])
deaf = socket.socket(socket.AF_UNIX); deaf.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
deaf.connect(sys.argv[1])
deaf.sendall(b'{"cmd":"audit","limit":100000}\n')
for b in b'{"cmd":"containers"}\n':
    try: slow.send(bytes([b]))
    except OSError: break
    time.sleep(1.5)
time.sleep(30)
PY
sleep 1
ms=$(quick) && ok "egressctl answers in ${ms} ms beside 50 idle, a slow and a deaf client" ||
	bad "egressctl slow or failed beside idle clients (${ms:-timeout} ms)"
ms=$(quick) && ok "and again (${ms} ms)" || bad "second request slow (${ms:-timeout} ms)"
loaded=$(grep -c "lists loaded" "$S/egressd.log")
kill -HUP "$pid"
sleep 0.5
[ "$(grep -c "lists loaded" "$S/egressd.log")" -gt "$loaded" ] &&
	ok "SIGHUP reload done within 0.5 s beside the clients" ||
	bad "no reload within 0.5 s of SIGHUP"
kill "$(cat "$SEC/hold.pid")" 2>/dev/null
alive && ok "egressd is up after the idle, slow and deaf clients" || bad "egressd died"

# 4. An operator's Ctrl-C (timeout 1) during commands.
for i in $(seq 5); do timeout -s INT 0.05 "$EGRESSCTL" --socket "$SOCK" containers >/dev/null 2>&1; done
alive && ms=$(quick) && ok "Ctrl-C'd egressctl: egressd up, next request in ${ms} ms" ||
	bad "egressd after interrupted clients"
stop_egressd
