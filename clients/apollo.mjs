// Apollo Client in Node, as a mobile or web app would use it: automatic
// persisted queries over GET, an onError link that refreshes an expired
// access token once and retries, and a third-party sign-in bound to the
// client by a callback challenge.
import { createHash, randomBytes } from "node:crypto";
import assert from "node:assert/strict";
import pkg from "@apollo/client/core/core.cjs";
import pq from "@apollo/client/link/persisted-queries/persisted-queries.cjs";
import errorPkg from "@apollo/client/link/error/error.cjs";
import ctxPkg from "@apollo/client/link/context/context.cjs";
import utilities from "@apollo/client/utilities/utilities.cjs";

const { ApolloClient, InMemoryCache, HttpLink, from, gql } = pkg;
const { createPersistedQueryLink } = pq;
const { onError } = errorPkg;
const { setContext } = ctxPkg;
const { Observable } = utilities;

export async function apolloTest(base, github) {
  const methods = [];
  const tokens = { access: null, refresh: null };
  let refreshes = 0;
  const fetchSpy = (url, init) => {
    methods.push(`${init.method} ${new URL(url).searchParams.has("extensions") ? "hashed" : ""}`);
    return fetch(url, init);
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
  const auth = setContext((_, { headers }) => ({
    headers: { ...headers, ...(tokens.access && { authorization: "Bearer " + tokens.access }) },
  }));
  const refreshMutation = gql`mutation Refresh($t: String) { refreshToken(input: {refreshToken: $t}) { ticket { accessToken refreshToken } errors { code } } }`;
  const refreshOnce = onError(({ graphQLErrors, operation, forward }) => {
    const expired = (graphQLErrors || []).some((e) => e.extensions && e.extensions.code === "UNAUTHENTICATED");
    if (!expired || operation.getContext().retried || operation.operationName === "Refresh") return;
    return new Observable((observer) => {
      refreshes++;
      client.mutate({ mutation: refreshMutation, variables: { t: tokens.refresh } }).then(({ data }) => {
        const t = data.refreshToken.ticket;
        assert.ok(t, "the refresh failed: " + JSON.stringify(data.refreshToken.errors));
        tokens.access = t.accessToken;
        tokens.refresh = t.refreshToken;
        operation.setContext({ retried: true });
        forward(operation).subscribe(observer);
      }, (err) => observer.error(err));
    });
  });
  const client = new ApolloClient({ link: from([refreshOnce, auth, persisted, http]), cache: new InMemoryCache() });
  const email = `apollo-${Date.now()}@example.com`;
  const password = "a client passphrase for the GraphQL tests";

  // register → createCustomer → refreshToken (re-sign with the customer)
  let r = await client.mutate({ mutation: gql`mutation($e: String!, $p: String!) { register(actor: CUSTOMER, provider: "emailpass", input: {email: $e, password: $p}) { ticket { accessToken actorId } errors { code } } }`, variables: { e: email, p: password } });
  tokens.access = r.data.register.ticket.accessToken;
  assert.equal(r.data.register.ticket.actorId, null);
  r = await client.mutate({ mutation: gql`mutation { createCustomer(input: {firstName: "Apollo"}) { customer { id email } errors { code } } }` });
  assert.equal(r.data.createCustomer.customer.email, email);
  r = await client.mutate({ mutation: gql`mutation { refreshToken { ticket { accessToken actorId } errors { code } } }` });
  assert.ok(r.data.refreshToken.ticket.actorId, "the re-signed token carries the customer");

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

  // an expired access token is refreshed once and the query retried
  await new Promise((res) => setTimeout(res, 12500)); // 2 s lifetime + 10 s leeway
  r = await client.query({ query: me, fetchPolicy: "network-only" });
  assert.equal(r.data.currentCustomer.email, email);
  assert.equal(refreshes, 1, "one refresh");

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
