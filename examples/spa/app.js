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
  await startSession(ticket.accessToken);
}

// startSession turns a sign-in's access token into the cookie session.
async function startSession(accessToken) {
  // The bearer token is used once, to attach the cookie; then dropped.
  const s = await gql(`mutation { createSession { session { csrfToken expiresAt } errors { code } } }`, null, { bearer: accessToken });
  csrf = s.data.createSession.session.csrfToken;
  await refresh();
  for (const id of ["rename", "signout", "add-passkey"]) document.getElementById(id).disabled = false;
  status("signed in");
}

// Passkeys: the options come as WebAuthn's JSON form, which the browser
// parses, and the browser's credential goes back as its toJSON().
async function addPasskey() {
  const b = await gql(`mutation { beginPasskeyRegistration(actor: CUSTOMER) { options errors { code message } } }`, null, { withCSRF: true });
  const options = b.data && b.data.beginPasskeyRegistration.options;
  if (!options) return status("passkey refused: " + JSON.stringify(b));
  const credential = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) });
  const f = await gql(`mutation($c: JSON!) { finishPasskeyRegistration(actor: CUSTOMER, credential: $c, name: "This browser") { passkey { id name } recoveryCodes errors { code message } } }`,
    { c: credential.toJSON() }, { withCSRF: true });
  const done = f.data && f.data.finishPasskeyRegistration;
  if (!done || !done.passkey) return status("passkey refused: " + JSON.stringify(f));
  // Show these once, and ask the shopper to keep them.
  document.getElementById("recovery").textContent = (done.recoveryCodes || []).join(" ");
  status("passkey added");
}

async function passkeySignIn() {
  const b = await gql(`mutation { beginPasskeySignIn(actor: CUSTOMER) { options errors { code } } }`);
  const options = b.data && b.data.beginPasskeySignIn.options;
  if (!options) return status("passkey sign-in unavailable: " + JSON.stringify(b));
  const assertion = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
  const f = await gql(`mutation($a: JSON!) { finishPasskeySignIn(assertion: $a) { ticket { accessToken } errors { code message } } }`, { a: assertion.toJSON() });
  const ticket = f.data && f.data.finishPasskeySignIn.ticket;
  if (!ticket) return status("passkey sign-in failed: " + JSON.stringify(f));
  await startSession(ticket.accessToken);
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
  document.getElementById("add-passkey").disabled = true;
  status("signed out");
}

document.getElementById("signin").addEventListener("submit", (e) => {
  e.preventDefault();
  signIn(document.getElementById("email").value, document.getElementById("password").value);
});
document.getElementById("rename").addEventListener("click", rename);
document.getElementById("add-passkey").addEventListener("click", () => addPasskey().catch((e) => status("passkey: " + e)));
document.getElementById("passkey-signin").addEventListener("click", () => passkeySignIn().catch((e) => status("passkey: " + e)));
document.getElementById("signout").addEventListener("click", signOut);
window.storefront = { gql };
