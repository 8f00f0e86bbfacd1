// idempotency-link.mjs: an Apollo Client (3.x) link that sends every
// mutation with an `Idempotency-Key` header. Copy this file into your app
// as it is; gatehouse's own Apollo test (clients/apollo.mjs) imports this
// very file.
//
// Each mutation gets a new random key, kept in the operation's context, so
// that every resend of that one operation carries the same key: a
// RetryLink placed after this link, the refresh link's retry, a persisted
// query's miss. gatehouse then runs the mutation once, and answers a
// resend (the first answer was lost on the way) with the first answer,
// marked `Idempotent-Replayed: true`, instead of running it again: a
// retried `register` gets its ticket rather than DUPLICATE. A resend while
// the first is still running past 2 s gets a top-level CONFLICT with
// `extensions.reason: "IN_PROGRESS"`: send it again later, as it is.
//
// Queries are sent without a key: they change nothing.
import { ApolloLink } from "@apollo/client/core";
import { getMainDefinition } from "@apollo/client/utilities";

/**
 * @param {object} [options]
 * @param {() => string} [options.newKey] a new key (default: a random UUID)
 * @returns {ApolloLink} put it before a RetryLink, the refresh link and the HttpLink
 */
export function createIdempotencyLink({ newKey = () => crypto.randomUUID() } = {}) {
  return new ApolloLink((operation, forward) => {
    const def = getMainDefinition(operation.query);
    if (def.kind === "OperationDefinition" && def.operation === "mutation") {
      operation.setContext((/** @type {{headers?: Record<string, string>, idempotencyKey?: string}} */ { headers = {}, idempotencyKey }) => {
        const key = idempotencyKey || newKey();
        return { idempotencyKey: key, headers: { ...headers, "Idempotency-Key": key } };
      });
    }
    return forward(operation);
  });
}
