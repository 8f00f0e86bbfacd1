#!/usr/bin/env bash
# Regenerates passwords.txt from the npm package @zxcvbn-ts/language-common
# (MIT): its common-password dictionary, lower-cased and de-duplicated, one
# per line, in the package's order (most common first). Run from anywhere:
#
#   internal/password/breached/update.sh [version]
#
# then update SOURCE.md and the count in breached_test.go if they changed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="${1:-4.1.3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@zxcvbn-ts/language-common@$version" >/dev/null && tar xzf ./*.tgz)
cp "$tmp/package/LICENSE.txt" "$here/LICENSE"
node -e '
  const seen = new Set();
  for (const p of require(process.argv[1])) {
    const s = String(p).toLowerCase();
    if (s && !seen.has(s)) seen.add(s);
  }
  process.stdout.write([...seen].join("\n") + "\n");
' "$tmp/package/src/passwords.json" > "$here/passwords.txt"
echo "$(wc -l < "$here/passwords.txt") passwords from @zxcvbn-ts/language-common@$version"
