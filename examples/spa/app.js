// A storefront that signs in once with a bearer token, turns it into a
// cookie session, and from then on keeps nothing but the CSRF token: the
// HttpOnly cookie is the credential. See docs/spa.md.
const API = new URLSearchParams(location.search).get("api") || "http://127.0.0.1:8080/graphql";
let csrf = null;

async function gql(query, variables, { bearer, withCSRF } = {}) {
  const headers = { "Content-Type": "application/json" };
  if (bearer) headers.Authorization = "Bearer " + bearer;
  if (withCSRF && csrf) headers["X-CSRF-Token"] = csrf;
  const res = await fetch(API, { method: "POST", credentials: "include", headers, body: JSON.stringify({ query, variables }) });
  return res.json();
}

const status = (s) => { document.getElementById("status").textContent = s; };

async function signIn(email, password) {
  const auth = await gql(`mutation($e: String, $p: String) { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: $e, password: $p}) { ticket { accessToken } errors { code } } }`, { e: email, p: password });
  const ticket = auth.data && auth.data.authenticate.ticket;
  if (!ticket) return status("sign-in failed: " + JSON.stringify(auth));
  // The bearer token is used once, to attach the cookie; then dropped.
  const s = await gql(`mutation { createSession { session { csrfToken expiresAt } errors { code } } }`, null, { bearer: ticket.accessToken });
  csrf = s.data.createSession.session.csrfToken;
  await refresh();
  document.getElementById("rename").disabled = false;
  document.getElementById("signout").disabled = false;
  status("signed in");
}

async function refresh() {
  const me = await gql(`{ currentCustomer { email firstName } }`);
  const c = me.data && me.data.currentCustomer;
  document.getElementById("who").textContent = c ? c.email + (c.firstName ? " (" + c.firstName + ")" : "") : "nobody";
}

async function rename() {
  const r = await gql(`mutation { updateCustomer(input: {firstName: "Ada"}) { customer { firstName } errors { code } } }`, null, { withCSRF: true });
  status(r.errors ? "rename refused: " + r.errors[0].extensions.code : "renamed");
  await refresh();
}

async function signOut() {
  await gql(`mutation { deleteSession(actor: CUSTOMER) { errors { code } } }`, null, { withCSRF: true });
  csrf = null;
  await refresh();
  status("signed out");
}

document.getElementById("signin").addEventListener("submit", (e) => {
  e.preventDefault();
  signIn(document.getElementById("email").value, document.getElementById("password").value);
});
document.getElementById("rename").addEventListener("click", rename);
document.getElementById("signout").addEventListener("click", signOut);
window.storefront = { gql };
