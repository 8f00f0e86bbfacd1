// Apollo Client in Node, as a mobile or web app would use it: automatic
// persisted queries over GET, the refresh link of docs/clients.md
// (refresh-link.mjs, imported as an app copies it: one refresh at a time,
// one retry, sign-out when the session is over), every mutation sent with
// an Idempotency-Key (idempotency-link.mjs) and retried when its answer is
// lost, a second factor's mfa challenge answered with verifyMfa, and a
// third-party sign-in bound to the client by a callback challenge.
import { createHash, randomBytes } from "node:crypto";
import assert from "node:assert/strict";
import { ApolloClient, InMemoryCache, HttpLink, from, gql } from "@apollo/client/core";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { RetryLink } from "@apollo/client/link/retry";
import { createRefreshLink } from "./refresh-link.mjs";
import { createIdempotencyLink } from "./idempotency-link.mjs";
import { totp } from "./totp.mjs";

export async function apolloTest(base, github) {
  const methods = [];
  const tokens = { access: null, refresh: null };
  let refreshes = 0;
  let signOuts = 0;
  // Every answer passes through onAnswer, when set, before Apollo sees it.
  let onAnswer = null;
  // Every POST (a mutation, or a query whose hash missed) and its
  // Idempotency-Key, and whether its answer was replayed.
  const posts = [];
  // When set, the next answer whose body holds loseAnswer is lost on the
  // way back: the server did the work, the client sees a network error.
  let loseAnswer = null;
  const fetchSpy = async (url, init) => {
    methods.push(`${init.method} ${new URL(url).searchParams.has("extensions") ? "hashed" : ""}`);
    const res = await fetch(url, init);
    if (init.method === "POST") {
      posts.push({ key: new Headers(init.headers).get("idempotency-key"), replayed: res.headers.get("idempotent-replayed") === "true" });
    }
    if (loseAnswer && (await res.clone().text()).includes(loseAnswer)) {
      loseAnswer = null;
      throw new TypeError("fetch failed: the answer was lost");
    }
    if (onAnswer) await onAnswer(await res.clone().json());
    return res;
  };
  const refused = (body) => (body.errors || []).some((e) => e.extensions.code === "UNAUTHENTICATED");
  const poll = async (what, ok) => {
    for (const t0 = Date.now(); !ok(); await new Promise((r) => setTimeout(r, 10))) {
      if (Date.now() - t0 > 30000) throw new Error("timed out waiting for " + what);
    }
  };
  const http = new HttpLink({
    uri: base + "/graphql",
    fetch: fetchSpy,
    // gatehouse refuses GETs a browser could forge; Apollo's mobile clients
    // send X-APOLLO-OPERATION-NAME, the web client needs this header.
    headers: { "apollo-require-preflight": "true" },
  });
  const persisted = createPersistedQueryLink({
    sha256: (q) => createHash("sha256").update(q).digest("hex"),
    useGETForHashedQueries: true,
  });
  // The fetch that sends the refresh mutation; a case below wraps it.
  let refreshFetch = fetch;
  const refreshLink = createRefreshLink({
    uri: base + "/graphql",
    getTokens: () => ({ accessToken: tokens.access, refreshToken: tokens.refresh }),
    setTokens: ({ accessToken, refreshToken }) => {
      refreshes++;
      tokens.access = accessToken;
      tokens.refresh = refreshToken;
    },
    signOut: () => {
      signOuts++;
      tokens.access = null;
      tokens.refresh = null;
    },
    fetch: (url, init) => refreshFetch(url, init),
  });
  // A lost answer is sent again, with the same Idempotency-Key.
  const retry = new RetryLink({ delay: { initial: 50, max: 200, jitter: false }, attempts: { max: 2, retryIf: (error) => !!error && !error.result } });
  const client = new ApolloClient({ link: from([createIdempotencyLink(), retry, refreshLink, persisted, http]), cache: new InMemoryCache() });
  const email = `apollo-${Date.now()}@example.com`;
  const password = "a client passphrase for the GraphQL tests";

  // register → createCustomer → refreshToken (re-sign with the customer).
  // The register's first answer is lost: the retry, with the same key,
  // gets the ticket the server made, not DUPLICATE.
  loseAnswer = '"accessToken"';
  let r = await client.mutate({ mutation: gql`mutation($e: String!, $p: String!) { register(actor: CUSTOMER, provider: "emailpass", input: {email: $e, password: $p}) { ticket { accessToken actorId } errors { code } } }`, variables: { e: email, p: password } });
  assert.equal(loseAnswer, null, "the first answer was lost");
  assert.deepEqual(r.data.register.errors, [], "the retry got the first answer, not DUPLICATE");
  tokens.access = r.data.register.ticket.accessToken;
  assert.equal(r.data.register.ticket.actorId, null);
  // (A persisted-query miss is sent again too, with the same key.)
  assert.ok(posts.length >= 2 && posts.every((p) => p.key && p.key === posts[0].key), "the register was sent again, with its one Idempotency-Key");
  assert.deepEqual(posts.map((p) => p.replayed), [...posts.slice(1).map(() => false), true], "the last answer was the first one replayed");
  r = await client.mutate({ mutation: gql`mutation { createCustomer(input: {firstName: "Apollo"}) { customer { id email } errors { code } } }` });
  assert.equal(r.data.createCustomer.customer.email, email);
  r = await client.mutate({ mutation: gql`mutation { refreshToken { ticket { accessToken actorId } errors { code } } }` });
  assert.ok(r.data.refreshToken.ticket.actorId, "the re-signed token carries the customer");
  assert.ok(posts.every((p) => p.key), "every mutation is sent with a key");
  assert.equal(new Set(posts.map((p) => p.key)).size, 3, "a key of its own for each of the three mutations");

  // authenticate → currentCustomer over APQ GET
  r = await client.mutate({ mutation: gql`mutation($e: String, $p: String) { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: $e, password: $p}) { ticket { accessToken refreshToken } errors { code } } }`, variables: { e: email, p: password } });
  tokens.access = r.data.authenticate.ticket.accessToken;
  tokens.refresh = r.data.authenticate.ticket.refreshToken;
  const me = gql`query Me { currentCustomer { id email firstName } }`;
  methods.length = 0;
  r = await client.query({ query: me, fetchPolicy: "network-only" });
  assert.equal(r.data.currentCustomer.email, email);
  assert.deepEqual(methods, ["GET hashed", "POST "], "a miss, then the full query");
  methods.length = 0;
  r = await client.query({ query: me, fetchPolicy: "network-only" });
  assert.deepEqual(methods, ["GET hashed"], "the hash alone, over GET");

  // add and delete an address
  r = await client.mutate({ mutation: gql`mutation { addCustomerAddress(input: {city: "London", countryCode: "GB", addressName: "Home"}) { address { id city } errors { code } } }` });
  const id = r.data.addCustomerAddress.address.id;
  r = await client.mutate({ mutation: gql`mutation($id: ID!) { deleteCustomerAddress(id: $id) { deleted errors { code } } }`, variables: { id } });
  assert.equal(r.data.deleteCustomerAddress.deleted, true);

  // An expired access token: two queries refused while one refresh runs
  // share it (the refresh waits until both are refused), and both are
  // retried with its token.
  const signIn = async () => {
    const a = await client.mutate({ mutation: gql`mutation SignIn($e: String, $p: String) { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: $e, password: $p}) { ticket { accessToken refreshToken } errors { code } } }`, variables: { e: email, p: password } });
    tokens.access = a.data.authenticate.ticket.accessToken;
    tokens.refresh = a.data.authenticate.ticket.refreshToken;
  };
  const session = gql`query Session { currentSession(actor: CUSTOMER) { id } }`;
  const expired = tokens.access;
  await new Promise((res) => setTimeout(res, 12500)); // 2 s lifetime + 10 s leeway
  let refusals = 0;
  onAnswer = (body) => { if (refused(body)) refusals++; };
  refreshFetch = async (url, init) => {
    await poll("two refused queries", () => refusals >= 2);
    return fetch(url, init);
  };
  const [a, b] = await Promise.all([
    client.query({ query: me, fetchPolicy: "network-only" }),
    client.query({ query: session, fetchPolicy: "network-only" }),
  ]);
  assert.equal(a.data.currentCustomer.email, email);
  assert.ok(b.data.currentSession.id, "the second query was retried too");
  onAnswer = null;
  refreshFetch = fetch;
  assert.equal(refusals, 2);
  assert.equal(refreshes, 1, "one refresh for two refused queries");
  assert.notEqual(tokens.access, expired);
  assert.equal(signOuts, 0);

  // A query refused after its token was replaced (another operation's
  // refresh landed meanwhile) is retried with the new token, without
  // rotating again.
  const rotated = await fetch(base + "/graphql", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "mutation($t: String) { refreshToken(input: {refreshToken: $t}) { ticket { accessToken refreshToken } } }", variables: { t: tokens.refresh } }),
  }).then((res) => res.json()).then((body) => body.data.refreshToken.ticket);
  tokens.access = "a-replaced-token";
  onAnswer = (body) => {
    if (refused(body)) Object.assign(tokens, { access: rotated.accessToken, refresh: rotated.refreshToken });
  };
  r = await client.query({ query: me, fetchPolicy: "network-only" });
  onAnswer = null;
  assert.equal(r.data.currentCustomer.email, email);
  assert.equal(refreshes, 1, "no refresh for a token already replaced");
  assert.equal(tokens.access, rotated.accessToken);

  // A revoked session: the refresh token is refused, so the link signs
  // out and the query gets its UNAUTHENTICATED error.
  r = await client.mutate({ mutation: gql`mutation LogOut { logout { revokedSessions errors { code } } }` });
  assert.equal(r.data.logout.revokedSessions, 1);
  await assert.rejects(client.query({ query: me, fetchPolicy: "network-only" }), (e) =>
    e.graphQLErrors.some((g) => g.extensions.code === "UNAUTHENTICATED"));
  assert.equal(refreshes, 1, "a refused refresh stores nothing");
  assert.equal(signOuts, 1, "signed out when the refresh token is refused");
  assert.equal(tokens.refresh, null);

  // The retried query refused again (the session ends between the refresh
  // and the retry): signed out, no second refresh.
  await signIn();
  tokens.access = "not-a-token";
  refreshFetch = async (url, init) => {
    const res = await fetch(url, init);
    const body = await res.json();
    await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer " + body.data.refreshToken.ticket.accessToken },
      body: JSON.stringify({ query: "mutation { logout { revokedSessions } }" }),
    });
    return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
  };
  await assert.rejects(client.query({ query: me, fetchPolicy: "network-only" }), (e) =>
    e.graphQLErrors.some((g) => g.extensions.code === "UNAUTHENTICATED"));
  refreshFetch = fetch;
  assert.equal(refreshes, 2, "one refresh, then no other");
  assert.equal(signOuts, 2, "signed out when the retry is refused");
  assert.equal(tokens.access, null);

  // A refused operation with neither token: signed out, no refresh sent.
  await assert.rejects(client.query({ query: me, fetchPolicy: "network-only" }));
  assert.equal(refreshes, 2);
  assert.equal(signOuts, 3);

  // A second factor: the account enrolls an authenticator app; from then
  // on the sign-in answers the mfa challenge, not a ticket, and verifyMfa
  // answers the ticket, at aal2. (Confirmed with the previous step's code,
  // so that the current one is still unused.)
  await signIn();
  const enroll = (await client.mutate({ mutation: gql`mutation { enrollTotp { factorId secret errors { code } } }` })).data.enrollTotp;
  r = await client.mutate({ mutation: gql`mutation($f: ID!, $c: String!) { confirmTotp(factorId: $f, code: $c) { recoveryCodes errors { code } } }`, variables: { f: enroll.factorId, c: totp(enroll.secret, -1) } });
  assert.equal(r.data.confirmTotp.recoveryCodes.length, 10, "confirmTotp: " + JSON.stringify(r.data.confirmTotp));
  r = await client.mutate({ mutation: gql`mutation SignInMFA($e: String, $p: String) { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: $e, password: $p}) { ticket { accessToken } mfa { challengeToken factors } errors { code } } }`, variables: { e: email, p: password } });
  assert.equal(r.data.authenticate.ticket, null, "a ticket on the password alone");
  assert.deepEqual(r.data.authenticate.mfa.factors, ["TOTP", "RECOVERY_CODE"]);
  const verify = gql`mutation Verify($c: String!, $t: String) { verifyMfa(input: {challengeToken: $c, totpCode: $t}) { ticket { accessToken refreshToken } errors { code } } }`;
  const challengeToken = r.data.authenticate.mfa.challengeToken;
  r = await client.mutate({ mutation: verify, variables: { c: challengeToken, t: "000000" } });
  assert.deepEqual(r.data.verifyMfa.errors.map((e) => e.code), ["INVALID_CREDENTIALS"]);
  r = await client.mutate({ mutation: verify, variables: { c: challengeToken, t: totp(enroll.secret) } });
  assert.deepEqual(r.data.verifyMfa.errors, []);
  tokens.access = r.data.verifyMfa.ticket.accessToken;
  tokens.refresh = r.data.verifyMfa.ticket.refreshToken;
  r = await client.query({ query: gql`query Level { currentSession(actor: CUSTOMER) { aal amr } }`, fetchPolicy: "network-only" });
  assert.equal(r.data.currentSession.aal, "aal2");
  assert.deepEqual(r.data.currentSession.amr, ["pwd", "otp", "mfa"]);

  // third-party sign-in, as a mobile app or a page on another site than
  // gatehouse must do it (no cookie comes back to either): authenticate
  // with the SHA-256 of a verifier the client keeps, validateCallback
  // with the verifier. The code and state alone, as an attacker would
  // hand them to a victim's callback page, are refused.
  tokens.access = null;
  tokens.refresh = null;
  const start = async () => {
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const s = await client.mutate({
      mutation: gql`mutation($r: String, $c: String) { authenticate(actor: CUSTOMER, provider: "github", input: {redirectUrl: $r, callbackChallenge: $c}) { location errors { code } } }`,
      variables: { r: github.callback, c: challenge },
    });
    assert.deepEqual(s.data.authenticate.errors, []);
    return { verifier, params: Object.fromEntries(await github.authorize(s.data.authenticate.location)) };
  };
  const callback = gql`mutation($p: JSON, $v: String) { validateCallback(actor: CUSTOMER, provider: "github", input: {params: $p, callbackVerifier: $v}) { ticket { accessToken actorId } errors { code } } }`;
  let flow = await start();
  r = await client.mutate({ mutation: callback, variables: { p: flow.params } });
  assert.equal(r.data.validateCallback.ticket, null);
  assert.deepEqual(r.data.validateCallback.errors.map((e) => e.code), ["STATE_INVALID"], "a callback without the verifier");
  flow = await start();
  r = await client.mutate({ mutation: callback, variables: { p: flow.params, v: flow.verifier } });
  assert.deepEqual(r.data.validateCallback.errors, []);
  assert.equal(r.data.validateCallback.ticket.actorId, null, "a new identity gets a registration ticket");
  tokens.access = r.data.validateCallback.ticket.accessToken;
  r = await client.mutate({ mutation: gql`mutation { createCustomer(input: {firstName: "Octo"}) { customer { email } errors { code } } }` });
  assert.equal(r.data.createCustomer.customer.email, github.user.email);
}
