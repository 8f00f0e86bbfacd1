// An admin dashboard on gatehouse's admin API: sign in, search customers,
// open one with its sessions and audit trail, end a session, impersonate.
// The admin's access token is kept in memory only (a page reload signs
// out); see docs/dashboard.md for cookie sessions instead. Every value
// from the API reaches the page through textContent, never as HTML.
const API = new URLSearchParams(location.search).get("api") || "http://127.0.0.1:8080/graphql";
let token = null;
let after = null;
let current = null; // the open customer's id

async function gql(query, variables) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  const res = await fetch(API, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  const messages = (body.errors || []).map((e) => {
    const ext = e.extensions || {};
    return `${ext.code || "ERROR"}${ext.reason ? " (" + ext.reason + ")" : ""}: ${e.message}`;
  });
  // A field the role may not read is null with its error; the rest of
  // the answer still counts.
  if (!body.data || Object.values(body.data).every((v) => v == null)) throw new Error(messages.join("; ") || "no data");
  if (messages.length) status(messages.join("; "));
  return body.data;
}

const $ = (id) => document.getElementById(id);
const status = (s) => { $("status").textContent = s; };
const run = (f) => (...args) => { status(""); return f(...args).catch((e) => status(e.message)); };

function row(cells, extra) {
  const tr = document.createElement("tr");
  for (const c of cells) {
    const td = document.createElement("td");
    td.textContent = c == null ? "" : String(c);
    tr.append(td);
  }
  if (extra) {
    const td = document.createElement("td");
    td.append(extra);
    tr.append(td);
  }
  return tr;
}

let challenge = null; // a sign-in waiting for its second factor, in memory only

async function signIn(email, password) {
  const d = await gql(`mutation($e: String, $p: String) { authenticate(actor: USER, provider: "emailpass", input: {email: $e, password: $p}) { ticket { accessToken } mfa { challengeToken factors } errors { code message } } }`, { e: email, p: password });
  const a = d.authenticate;
  if (a.mfa) {
    // The password was right; the account has a second factor.
    challenge = a.mfa.challengeToken;
    $("signin").hidden = true;
    $("mfa").hidden = false;
    $("totp").focus();
    return;
  }
  if (!a.ticket) throw new Error(a.errors.map((e) => e.code).join(", "));
  await signedIn(a.ticket.accessToken);
}

async function verify(code) {
  const d = await gql(`mutation($c: String!, $t: String) { verifyMfa(input: {challengeToken: $c, totpCode: $t}) { ticket { accessToken } errors { code message } } }`, { c: challenge, t: code });
  const v = d.verifyMfa;
  if (!v.ticket) {
    // Five wrong codes end the challenge: start over with the password.
    if (v.errors.some((e) => e.code === "TOKEN_INVALID" || e.code === "TOKEN_EXPIRED")) {
      challenge = null;
      $("mfa").hidden = true;
      $("signin").hidden = false;
    }
    throw new Error(v.errors.map((e) => `${e.code}: ${e.message}`).join("; "));
  }
  challenge = null;
  $("mfa").hidden = true;
  await signedIn(v.ticket.accessToken);
}

async function signedIn(accessToken) {
  token = accessToken;
  const me = (await gql(`{ currentUser { email roles { name } permissions } }`)).currentUser;
  $("who").textContent = me.email;
  $("permissions").textContent = `(${me.roles.map((r) => r.name).join(", ")}: ${me.permissions.join(" ")})`;
  $("search-section").hidden = false;
}

async function search(fresh) {
  if (fresh) after = null;
  const d = await gql(`query($q: String, $after: String) {
    customers(first: 20, after: $after, filter: {search: $q}, orderBy: {field: CREATED_AT, direction: DESC}) {
      totalCount
      edges { cursor node { id email firstName lastName isActive isLocked lastSignInAt } }
      pageInfo { hasNextPage endCursor }
    } }`, { q: $("query").value || null, after });
  const c = d.customers;
  $("total").textContent = c.totalCount;
  $("results").replaceChildren(...c.edges.map(({ node: n }) => {
    const open = document.createElement("button");
    open.textContent = "Open";
    open.className = "open";
    open.dataset.id = n.id;
    open.onclick = run(() => openCustomer(n.id));
    return row([n.email, [n.firstName, n.lastName].filter(Boolean).join(" "), n.isActive, n.isLocked, n.lastSignInAt], open);
  }));
  after = c.pageInfo.endCursor;
  $("next").disabled = !c.pageInfo.hasNextPage;
}

async function openCustomer(id) {
  current = id;
  const d = await gql(`query($id: ID!) {
    customer(id: $id) {
      id email firstName lastName isActive isLocked
      identities { provider email lastSignInAt }
      sessions { id deviceLabel ip signInMethod lastUsedAt impersonatedBy }
    } }`, { id });
  const c = d.customer;
  if (!c) throw new Error("NOT_FOUND: no such customer");
  $("customer-title").textContent = `${c.email || c.id} ${c.isActive ? "" : "(deactivated)"} ${c.isLocked ? "(locked)" : ""}`;
  $("identities").replaceChildren(...c.identities.map((i) => {
    const li = document.createElement("li");
    li.textContent = `${i.provider} ${i.email || ""} last sign-in ${i.lastSignInAt || "never"}`;
    return li;
  }));
  $("sessions").replaceChildren(...(c.sessions || []).map((s) => {
    const end = document.createElement("button");
    end.textContent = "End";
    end.className = "end-session";
    end.dataset.id = s.id;
    end.onclick = run(() => endSession(s.id));
    return row([s.deviceLabel, s.ip, s.signInMethod, s.lastUsedAt, s.impersonatedBy], end);
  }));
  // The trail in a request of its own: a role with VIEW_CUSTOMERS but not
  // VIEW_AUDIT still opens the customer. By the customer's id, authEvents
  // holds both its identity's events (sign-ins, failures, resets) and
  // what admins did to it.
  try {
    const t = await gql(`query($id: ID!) { authEvents(authIdentityId: $id, first: 20) { totalCount nodes { type createdAt data } } }`, { id });
    $("audit").replaceChildren(...t.authEvents.nodes.map((e) => row([e.createdAt, e.type, e.data.actor_id || ""])));
  } catch (e) {
    $("audit").replaceChildren(row([e.message]));
  }
  $("customer-section").hidden = false;
}

async function endSession(sessionId) {
  const d = await gql(`mutation($c: ID!, $s: ID) { revokeCustomerSessions(customerId: $c, sessionId: $s) { revokedSessions errors { code message } } }`, { c: current, s: sessionId });
  const r = d.revokeCustomerSessions;
  if (r.errors.length) throw new Error(r.errors.map((e) => `${e.code}: ${e.message}`).join("; "));
  await openCustomer(current);
}

async function impersonate() {
  const d = await gql(`mutation($c: ID!, $r: String!) { impersonateCustomer(customerId: $c, reason: $r) { ticket { accessToken accessTokenExpiration } errors { code message } } }`, { c: current, r: $("reason").value });
  const r = d.impersonateCustomer;
  if (!r.ticket) throw new Error(r.errors.map((e) => `${e.code}: ${e.message}`).join("; "));
  const claims = JSON.parse(atob(r.ticket.accessToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  // Hand the token to the storefront (in a new tab, say); here it is shown.
  $("impersonation").textContent = `acting as ${claims.actor_id} for ${claims.act.sub} until ${r.ticket.accessTokenExpiration}`;
  $("impersonation").dataset.act = claims.act.sub;
  await openCustomer(current);
}

$("signin").onsubmit = (e) => { e.preventDefault(); run(signIn)($("email").value, $("password").value); };
$("mfa").onsubmit = (e) => { e.preventDefault(); run(verify)($("totp").value); };
$("search").onsubmit = (e) => { e.preventDefault(); run(search)(true); };
$("next").onclick = run(() => search(false));
$("impersonate").onclick = run(impersonate);
window.dashboard = { gql };
