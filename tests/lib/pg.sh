# A throw-away PostgreSQL 15 cluster for tests (Debian's postgresql-15):
# initdb and pg_ctl in a temporary directory, as user postgres, listening
# on a unix socket in that directory and on 127.0.0.1 at a port of the
# caller's choice. Source it, then:
#   pg_start DIR PORT   makes and starts the cluster, a role and database
#                       "egressd"; sets PG_DSN (unix socket) and PG_DSN_TCP
#   pg_stop_server      stops it, keeping its data (pg_start_server again)
#   pg_start_server     starts it again
#   pg_remove           stops it and removes DIR
#   pg_psql SQL...      runs SQL as egressd in database egressd
#   pg_psql_super SQL.. runs SQL as the superuser postgres (roles)
# PG_EXTRA_OPTS adds server options (e.g. "-c max_connections=600").
# Nothing leaves the machine: TCP on loopback only.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

pg_need() {
	if [ ! -x "$PG_BIN/initdb" ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends postgresql-15 >/dev/null ||
			return 1
	fi
	id postgres >/dev/null 2>&1
}

pg_start_server() {
	runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w -t 30 \
		-l "$PG_DIR/log" -o "-k $PG_DIR/sock -p $PG_PORT \
-c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 \
${PG_EXTRA_OPTS:-}" \
		start >/dev/null
}

pg_stop_server() {
	runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w -t 30 \
		-m fast stop >/dev/null
}

pg_start() {
	PG_DIR=$1 PG_PORT=$2
	pg_need || { echo "pg.sh: no postgresql-15" >&2; return 1; }
	mkdir -p "$PG_DIR/sock" && chmod 755 "$PG_DIR" &&
		chown -R postgres: "$PG_DIR" || return 1
	runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust \
		-U postgres -E UTF8 --locale=C.UTF-8 >/dev/null || return 1
	pg_start_server || { cat "$PG_DIR/log" >&2; return 1; }
	runuser -u postgres -- "$PG_BIN/../bin/psql" -q -h "$PG_DIR/sock" \
		-p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
		-c "CREATE ROLE egressd LOGIN" \
		-c "CREATE DATABASE egressd OWNER egressd" >/dev/null || return 1
	PG_DSN="host=$PG_DIR/sock port=$PG_PORT dbname=egressd user=egressd"
	PG_DSN_TCP="postgresql://egressd@127.0.0.1:$PG_PORT/egressd"
	export PG_DIR PG_PORT PG_DSN PG_DSN_TCP
}

pg_psql() {
	local a=() s
	for s in "$@"; do a+=(-c "$s"); done
	psql -X -q -t -A -v ON_ERROR_STOP=1 "$PG_DSN" "${a[@]}"
}

pg_psql_super() {
	local a=() s
	for s in "$@"; do a+=(-c "$s"); done
	runuser -u postgres -- psql -X -q -t -A -v ON_ERROR_STOP=1 \
		-h "$PG_DIR/sock" -p "$PG_PORT" -d egressd "${a[@]}"
}

pg_remove() {
	[ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ] || return 0
	pg_stop_server 2>/dev/null
	rm -rf "$PG_DIR"
}
