#!/usr/bin/env bash
# Runs the real-client tests: builds gatehouse, then clients/run.mjs starts
# it on a fresh SQLite file and drives it with Apollo Client in Node, the
# example SPA and the playground in headless Chromium. Needs Node, npm ci
# done in clients/, and Chromium at /usr/bin/chromium (or $CHROMIUM).
set -euo pipefail
cd "$(dirname "$0")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd .. && go build -o "$tmp/gatehouse" ./cmd/gatehouse)
node run.mjs "$tmp/gatehouse" "$tmp"
