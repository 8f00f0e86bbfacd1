#!/usr/bin/env bash
# Fetches the playground's assets from the npm registry (the same GraphiQL,
# React and React DOM builds gqlgen's playground page loads from a CDN) and
# writes them beside this script with their licences. Reproducible: the
# versions are pinned here and npm checks each tarball's integrity.
#
#   internal/playground/assets/fetch.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
GRAPHIQL=4.1.2
REACT=18.2.0
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null
for p in "graphiql-$GRAPHIQL" "react-$REACT" "react-dom-$REACT"; do
  mkdir -p "$p" && tar xzf "$p.tgz" -C "$p"
done
cp "graphiql-$GRAPHIQL/package/graphiql.min.js" "graphiql-$GRAPHIQL/package/graphiql.min.css" "$here/"
cp "graphiql-$GRAPHIQL/package/LICENSE" "$here/LICENSE.graphiql"
cp "react-$REACT/package/umd/react.production.min.js" "$here/"
cp "react-$REACT/package/LICENSE" "$here/LICENSE.react"
cp "react-dom-$REACT/package/umd/react-dom.production.min.js" "$here/"
cp "react-dom-$REACT/package/LICENSE" "$here/LICENSE.react-dom"
# The source maps of these builds point at sources not shipped; drop the
# references so browsers do not ask for them.
sed -i '/^\/\/# sourceMappingURL=/d' "$here/graphiql.min.js" "$here/react.production.min.js" "$here/react-dom.production.min.js"
sed -i 's#/\*\# sourceMappingURL=[^*]*\*/##' "$here/graphiql.min.css"
(cd "$here" && sha256sum graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js > SHA256SUMS)
echo "graphiql $GRAPHIQL, react and react-dom $REACT written to $here"
