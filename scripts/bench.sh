#!/usr/bin/env bash
# bench.sh: the load suite (make bench). Builds gatehouse and
# gatehouse-load, then for each database starts a fresh `gatehouse serve`
# in production mode (default argon2id parameters, metrics on, rate limits
# raised so that they do not cap the figures), waits for /readyz, runs
# `gatehouse-load -suite standard` against it, stops it, and prints the
# reports. docs/perf.md explains the columns.
#
# Settings (environment):
#   GATEHOUSE_BENCH_POSTGRES_URL  PostgreSQL to use; its database is DROPPED and
#                                 recreated (default
#                                 postgres://postgres@127.0.0.1:5432/gatehouse_bench?sslmode=disable)
#   BENCH_DATABASES               which to run, in order (default "postgres sqlite")
#   BENCH_DURATION                each scenario at each concurrency (default 10s)
#   BENCH_CONCURRENCY             comma-separated (default 8,64,256)
#   BENCH_SHOPPERS                shoppers registered (default: the largest concurrency)
#   BENCH_OUT                     where reports go (default: a new directory under $TMPDIR)
#   BENCH_LOAD_FLAGS              more gatehouse-load flags
#   BENCH_REV                     the revision to label the reports with (default: git rev-parse --short HEAD)
#
# Quick check: BENCH_DURATION=2s BENCH_CONCURRENCY=8 make bench
set -euo pipefail

cd "$(dirname "$0")/.."

PG_URL=${GATEHOUSE_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/gatehouse_bench?sslmode=disable}
DATABASES=${BENCH_DATABASES:-postgres sqlite}
DURATION=${BENCH_DURATION:-10s}
CONCURRENCY=${BENCH_CONCURRENCY:-8,64,256}
OUT=${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-bench.XXXXXX")}
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-bench-work.XXXXXX")

# shellcheck source=scripts/serve-lib.sh
. scripts/serve-lib.sh
server_pid=
cleanup() {
	stop_server
	rm -rf "$WORK"
}
trap cleanup EXIT

echo "== building into $WORK" >&2
go build -o "$WORK/gatehouse" ./cmd/gatehouse
go build -o "$WORK/gatehouse-load" ./cmd/gatehouse-load

rev=${BENCH_REV:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
if [ -z "${BENCH_REV:-}" ] && [ -n "$(git status --porcelain 2>/dev/null)" ]; then rev="$rev+dirty"; fi

# bench_one DATABASE_NAME DATABASE_URL runs the suite against a fresh server.
bench_one() {
	local name=$1 url=$2 log=$OUT/server-$1.log
	start_server "$name" "$url"
	echo "== $name: $base ready; running the standard suite (-d $DURATION -c $CONCURRENCY)" >&2
	if ! {
		echo "# gatehouse load suite: $name, $(date -u '+%Y-%m-%d %H:%M UTC'), $rev, $(nproc) CPUs"
		# shellcheck disable=SC2086 # BENCH_LOAD_FLAGS is a list of flags
		"$WORK/gatehouse-load" -url "$base/graphql" -suite standard -d "$DURATION" -c "$CONCURRENCY" \
			${BENCH_SHOPPERS:+-shoppers "$BENCH_SHOPPERS"} -json "$OUT/$name.json" ${BENCH_LOAD_FLAGS:-}
	} >"$OUT/$name.txt"; then
		cat "$OUT/$name.txt"
		echo "gatehouse-load failed against $name; the server's log is $log:" >&2
		tail -n 50 "$log" >&2
		return 1
	fi
	stop_server
}

for db in $DATABASES; do
	case $db in
	postgres)
		recreate_postgres
		bench_one postgres "$PG_URL"
		;;
	sqlite)
		bench_one sqlite "sqlite:$WORK/bench.db"
		;;
	*)
		echo "BENCH_DATABASES: unknown database $db (want postgres, sqlite)" >&2
		exit 2
		;;
	esac
done

for db in $DATABASES; do
	echo
	cat "$OUT/$db.txt"
done
echo
echo "reports (table .txt, JSON .json, server logs) in $OUT" >&2
