# serve-lib.sh: what the load scripts (bench.sh, soak.sh) share: a fresh
# PostgreSQL database, and a production-mode `gatehouse serve` waited for
# until /readyz answers. Sourced; expects WORK (holding the built
# gatehouse) and PG_URL, and sets server_pid and base.

# recreate_postgres drops and creates the database PG_URL names, through
# the server's maintenance database.
recreate_postgres() {
	local db admin
	db=$(printf '%s' "$PG_URL" | sed -E 's|^[^/]*//[^/]*/([^?]*).*|\1|')
	if [ -z "$db" ] || [ "$db" = "$PG_URL" ] || [ "$db" = postgres ]; then
		echo "GATEHOUSE_BENCH_POSTGRES_URL must name a database of its own (it is dropped): $PG_URL" >&2
		return 1
	fi
	admin=$(printf '%s' "$PG_URL" | sed -E "s|^([^/]*//[^/]*/)[^?]*|\1postgres|")
	if ! psql "$admin" -Atqc 'SELECT 1' >/dev/null; then
		echo "PostgreSQL is not reachable at $admin: start it, set GATEHOUSE_BENCH_POSTGRES_URL, or run BENCH_DATABASES=sqlite make bench" >&2
		return 1
	fi
	psql "$admin" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
	psql "$admin" -qc "CREATE DATABASE \"$db\"" >/dev/null
}

# start_server NAME DATABASE_URL [NAME=VALUE...] starts gatehouse serve on
# a free port with its log in $OUT/server-NAME.log, and sets server_pid and
# base once /readyz answers; the extra variables override the defaults.
start_server() {
	local name=$1 url=$2 log=$OUT/server-$1.log addr=
	shift 2
	: >"$log"
	echo "== $name: starting gatehouse serve" >&2
	env -i PATH="$PATH" HOME="${HOME:-/tmp}" \
		GATEHOUSE_ENV=production \
		GATEHOUSE_ADDR=127.0.0.1:0 \
		GATEHOUSE_DATABASE_URL="$url" \
		GATEHOUSE_ISSUER=http://gatehouse-bench.invalid \
		GATEHOUSE_KEY_ENCRYPTION_KEY="$(head -c 32 /dev/urandom | base64)" \
		GATEHOUSE_METRICS=true \
		GATEHOUSE_RATE_LIMIT_IP=100000000/1m \
		GATEHOUSE_RATE_LIMIT_IDENTIFIER=100000000/1m \
		"$@" \
		"$WORK/gatehouse" serve 2>"$log" &
	server_pid=$!
	for _ in $(seq 300); do
		addr=$(grep -o '"msg":"listening"[^}]*"addr":"[^"]*"' "$log" | head -n1 | sed -E 's/.*"addr":"([^"]*)"/\1/' || true)
		if [ -n "$addr" ] && curl -fsS "http://$addr/readyz" >/dev/null 2>&1; then break; fi
		if ! kill -0 "$server_pid" 2>/dev/null; then
			echo "gatehouse stopped before it was ready:" >&2
			cat "$log" >&2
			return 1
		fi
		addr=
		sleep 0.1
	done
	if [ -z "$addr" ]; then
		echo "gatehouse was not ready after 30 s; its log is $log" >&2
		return 1
	fi
	base=http://$addr
}

# stop_server stops the server start_server started.
stop_server() {
	if [ -n "${server_pid:-}" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
		server_pid=
	fi
}
