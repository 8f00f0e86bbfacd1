#!/usr/bin/env bash
# soak.sh: the soak (make soak). Starts a fresh production-mode
# `gatehouse serve` on PostgreSQL and runs gatehouse-load's mixed scenario
# (1 sign-in : 2 refreshes : 10 reads per worker) in back-to-back windows
# for SOAK_DURATION, sampling the server between windows: resident memory,
# goroutines, each window's p99, and the row count of every table at the
# start and the end. A leak shows as RSS or goroutines that climb, a p99
# that drifts up, or a table that grows without bound.
#
# Settings (environment):
#   SOAK_DURATION   how long in all (default 10m)
#   SOAK_WINDOW     one load window (default 1m)
#   SOAK_CONCURRENCY workers (default 16)
#   GATEHOUSE_SOAK_POSTGRES_URL  its database is DROPPED and recreated (default
#                   postgres://postgres@127.0.0.1:5432/gatehouse_soak?sslmode=disable)
#   SOAK_OUT        where the reports go (default: a new directory under $TMPDIR)
#   SOAK_ENV        more NAME=VALUE settings for the server, space-separated
#
# Quick check: SOAK_DURATION=20s SOAK_WINDOW=10s make soak
set -euo pipefail

cd "$(dirname "$0")/.."

PG_URL=${GATEHOUSE_SOAK_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/gatehouse_soak?sslmode=disable}
DURATION=${SOAK_DURATION:-10m}
WINDOW=${SOAK_WINDOW:-1m}
CONCURRENCY=${SOAK_CONCURRENCY:-16}
OUT=${SOAK_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-soak.XXXXXX")}
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-soak-work.XXXXXX")

# shellcheck source=scripts/serve-lib.sh
. scripts/serve-lib.sh
server_pid=
cleanup() {
	stop_server
	rm -rf "$WORK"
}
trap cleanup EXIT

seconds() { # 10m, 90s, 1h -> seconds
	local v=$1
	case $v in
	*h) echo $((${v%h} * 3600)) ;;
	*m) echo $((${v%m} * 60)) ;;
	*s) echo "${v%s}" ;;
	*) echo "$v" ;;
	esac
}

echo "== building into $WORK" >&2
go build -o "$WORK/gatehouse" ./cmd/gatehouse
go build -o "$WORK/gatehouse-load" ./cmd/gatehouse-load

recreate_postgres
# shellcheck disable=SC2086 # SOAK_ENV is a list of NAME=VALUE
start_server soak "$PG_URL" ${SOAK_ENV:-}

# metric NAME: the server's value of an unlabelled Prometheus metric.
metric() { curl -fsS "$base/metrics" | awk -v m="$1" '$1 == m { v = $2 } END { print v }'; }
# tables: "table rows" for every table, sorted.
tables() {
	local t
	for t in $(psql "$PG_URL" -Atqc "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"); do
		echo "$t $(psql "$PG_URL" -Atqc "SELECT count(*) FROM \"$t\"")"
	done
}

tables >"$OUT/tables-start.txt"
total=$(seconds "$DURATION")
start=$(date +%s)
printf 'window  elapsed  rss_mib  goroutines  p99_ms(signin refresh me)  ops\n' | tee "$OUT/windows.txt"
n=0
while [ $(($(date +%s) - start)) -lt "$total" ]; do
	n=$((n + 1))
	"$WORK/gatehouse-load" -url "$base/graphql" -scenario mixed -c "$CONCURRENCY" -d "$WINDOW" \
		-shoppers "$CONCURRENCY" -q -json "$OUT/window-$n.json" >/dev/null
	rss=$(metric process_resident_memory_bytes)
	gor=$(metric go_goroutines)
	p99=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
ops = {o["op"]: o for run in r["runs"] for o in run["ops"]}
print(" ".join(str(round(ops[k]["p99Ms"], 1)) if k in ops else "-" for k in ("signin", "refresh", "me")),
      sum(o["ok"] for o in ops.values()))' "$OUT/window-$n.json")
	printf '%6d  %6ds  %7.1f  %10s  %s\n' "$n" $(($(date +%s) - start)) "$(python3 -c "print(${rss:-0}/1048576)")" "${gor:-?}" "$p99" | tee -a "$OUT/windows.txt"
done
tables >"$OUT/tables-end.txt"
echo
echo "table rows at start and end:"
join -a1 -a2 -e 0 -o 0,1.2,2.2 "$OUT/tables-start.txt" "$OUT/tables-end.txt" | awk '{ printf "  %-28s %10s %10s\n", $1, $2, $3 }' | tee "$OUT/tables.txt"
echo
echo "reports in $OUT" >&2
