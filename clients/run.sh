#!/usr/bin/env bash
# Runs the real-client tests: builds gatehouse, then clients/run.mjs starts
# it on a fresh SQLite file and runs the README's first session block by
# block, drives it with Apollo Client in Node (through refresh-link.mjs,
# the copy-paste link of docs/clients.md), and the example SPA and the
# playground in headless Chromium. Needs Node, npm ci done in clients/, and
# Chromium at /usr/bin/chromium (or $CHROMIUM). apollo-resolve.mjs lets Node
# import Apollo Client's entry points as an app's bundler does.
set -euo pipefail
cd "$(dirname "$0")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd .. && go build -o "$tmp/gatehouse" ./cmd/gatehouse)
node --import ./apollo-resolve.mjs run.mjs "$tmp/gatehouse" "$tmp"
