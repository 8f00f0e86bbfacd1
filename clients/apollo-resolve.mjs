// Lets Node import Apollo Client 3 the way apps and bundlers do: its entry
// points ("@apollo/client/core", "@apollo/client/link/persisted-queries")
// are directories without an exports map, which Node's ES module resolver
// refuses. This hook maps each to its ES module build (<dir>/index.js), so
// that refresh-link.mjs runs here exactly as it is copied into an app.
// run.sh loads it with `node --import ./apollo-resolve.mjs`.
import { register } from "node:module";
import { isMainThread } from "node:worker_threads";

// The hooks run on a thread of their own; register only from the main one.
if (isMainThread) register(import.meta.url);

const entry = /^@apollo\/client\/[\w-]+(\/[\w-]+)*$/;

export async function resolve(specifier, context, next) {
  if (entry.test(specifier)) return next(specifier + "/index.js", context);
  return next(specifier, context);
}
