#!/usr/bin/env bash
# Runs every fuzz target in the module for FUZZTIME each (default 10s),
# one after another (go test -fuzz takes one target at a time). Each
# target's committed corpus (testdata/fuzz/<Target>/) runs as part of
# `make test` anyway; this explores beyond it. CI runs it briefly.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-10s}"
status=0
while IFS=: read -r file name; do
  pkg="./$(dirname "$file")"
  printf '%s %s: ' "$pkg" "$name"
  run() { go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" 2>&1; }
  if out=$(run); then
    echo "ok"
  elif ! grep -q 'Failing input written' <<<"$out" && grep -q 'context deadline exceeded' <<<"$out" && out=$(run); then
    # The fuzzing engine's own timeout stopping a slow worker (no input
    # failed, nothing written to testdata): once more.
    echo "ok (after the engine's own timeout)"
  else
    echo "FAILED"
    echo "$out" | tail -n 30
    status=1
  fi
done < <(git ls-files '*_test.go' | xargs grep -oE '^func Fuzz[A-Za-z0-9_]+' | sed -E 's/func //' | sort -u)
exit "$status"
