#!/usr/bin/env bash
# Fails when gqlgen's output is not what schema.graphqls and gqlgen.yml
# make: regenerates, then looks for any difference from the commit.
set -euo pipefail
cd "$(dirname "$0")/.."
go tool gqlgen generate
if ! git diff --exit-code --stat -- graph schema.graphqls gqlgen.yml go.mod go.sum \
  || [ -n "$(git status --porcelain --untracked-files=all -- graph)" ]; then
  echo "generated code is stale: run 'go tool gqlgen generate' and commit the result" >&2
  git status --porcelain -- graph >&2
  exit 1
fi
