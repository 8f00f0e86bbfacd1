// refresh-link.mjs: an Apollo Client (3.x) link for gatehouse's bearer
// tokens. Copy this file into your app as it is; docs/clients.md shows how
// to wire it, and gatehouse's own Apollo test (clients/apollo.mjs) imports
// this very file.
//
// It sends the access token as `Authorization: Bearer …` on every
// operation. When an answer carries a top-level error with
// `extensions.code: "UNAUTHENTICATED"` (expired, revoked, invalid or
// missing access token), it rotates the refresh token with the
// `refreshToken` mutation and sends the operation once more:
//
//   - one refresh is in flight at a time: operations that fail while it
//     runs wait for it and retry with its token, and one that was sent with
//     a token already replaced retries without refreshing again;
//   - an operation is retried at most once;
//   - signOut() is called when the session is over: the refresh token is
//     refused (TOKEN_INVALID, TOKEN_EXPIRED), there is none, or the retried
//     operation is refused again. The operation then gets the original
//     UNAUTHENTICATED error;
//   - a refresh that fails for a passing reason (no network, RATE_LIMITED,
//     UNAVAILABLE) keeps the tokens and hands the original error on: the
//     next operation tries again.
//
// FORBIDDEN (a token of the wrong kind) is handed on untouched: refreshing
// never helps it.
import { ApolloLink, Observable } from "@apollo/client/core";

const REFRESH_TOKEN = `mutation RefreshToken($refreshToken: String!) {
  refreshToken(input: {refreshToken: $refreshToken}) {
    ticket { accessToken refreshToken }
    errors { code message }
  }
}`;

// Whether an answer, or a failed HTTP response's body, holds an
// UNAUTHENTICATED error.
/** @param {any} x an answer or an error */
const unauthenticated = (x) => {
  /** @type {any[]} */
  const errors = (x && (x.errors || (x.result && x.result.errors))) || [];
  return errors.some((e) => e && e.extensions && e.extensions.code === "UNAUTHENTICATED");
};

/**
 * @param {object} options
 * @param {string} options.uri the GraphQL endpoint, e.g. "https://auth.shop.example/graphql"
 * @param {() => {accessToken?: string|null, refreshToken?: string|null}} options.getTokens
 *   the current tokens, synchronously (keep the access token in memory, and
 *   the refresh token in memory too once read from the secure store)
 * @param {(t: {accessToken: string, refreshToken: string}) => void|Promise<void>} options.setTokens
 *   store a rotated pair; persist the refresh token before resolving: the
 *   one presented is retired
 * @param {() => void} options.signOut the session is over: clear the tokens, show sign-in
 * @param {typeof fetch} [options.fetch] the fetch that sends the refresh mutation
 * @returns {ApolloLink} put it before the HttpLink (and before a persisted-query link)
 */
export function createRefreshLink({ uri, getTokens, setTokens, signOut, fetch: send = (...a) => fetch(...a) }) {
  /** @type {Promise<"refreshed" | "rejected" | "failed"> | null} */
  let inflight = null;

  // refresh resolves to "refreshed", "rejected" (the session is over) or
  // "failed" (try again later); it never rejects.
  /** @returns {Promise<"refreshed" | "rejected" | "failed">} */
  async function refresh() {
    const { refreshToken } = getTokens() || {};
    if (!refreshToken) return "rejected";
    let body;
    try {
      const res = await send(uri, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json" },
        body: JSON.stringify({ operationName: "RefreshToken", query: REFRESH_TOKEN, variables: { refreshToken } }),
      });
      body = await res.json();
    } catch {
      return "failed";
    }
    const payload = body && body.data && body.data.refreshToken;
    if (!payload) return "failed"; // a top-level error: RATE_LIMITED, UNAVAILABLE…
    if (!payload.ticket) return "rejected";
    try {
      await setTokens({ accessToken: payload.ticket.accessToken, refreshToken: payload.ticket.refreshToken });
    } catch {
      return "failed";
    }
    return "refreshed";
  }
  const refreshOnce = () => (inflight ??= refresh().finally(() => { inflight = null; }));

  return new ApolloLink((operation, forward) => new Observable((observer) => {
    /** @type {{unsubscribe(): void} | null} */
    let sub = null;
    let closed = false;

    /** @param {boolean} retried */
    const attempt = (retried) => {
      const { accessToken } = getTokens() || {};
      operation.setContext((/** @type {{headers?: Record<string, string>}} */ { headers = {} }) => {
        const { authorization, Authorization, ...rest } = headers;
        return { headers: accessToken ? { ...rest, authorization: "Bearer " + accessToken } : rest };
      });
      // A refused attempt's answer is held back until we know whether
      // it is retried or handed on.
      /** @type {Array<["next", any] | ["error", any] | ["complete", undefined]>} */
      const held = [];
      let refused = false;
      let settled = false;
      const handOn = () => {
        for (const [kind, value] of held) {
          if (kind === "next") observer.next(value);
          else if (kind === "error") observer.error(value);
          else observer.complete();
        }
      };
      const settle = () => {
        if (settled || closed) return;
        settled = true;
        if (retried) {
          signOut();
          return handOn();
        }
        const current = (getTokens() || {}).accessToken;
        if (current && current !== accessToken) return attempt(true); // refreshed meanwhile
        refreshOnce().then((outcome) => {
          if (closed) return;
          if (outcome === "refreshed") return attempt(true);
          if (outcome === "rejected") signOut();
          handOn();
        });
      };
      sub = forward(operation).subscribe({
        next: (result) => {
          if (!refused && !unauthenticated(result)) return observer.next(result);
          refused = true;
          held.push(["next", result]);
        },
        error: (err) => {
          if (!refused && !unauthenticated(err)) return observer.error(err);
          refused = true;
          held.push(["error", err]);
          settle();
        },
        complete: () => {
          if (!refused) return observer.complete();
          held.push(["complete", undefined]);
          settle();
        },
      });
    };

    attempt(false);
    return () => {
      closed = true;
      if (sub) sub.unsubscribe();
    };
  }));
}
