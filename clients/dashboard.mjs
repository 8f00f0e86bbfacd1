// The example dashboard (examples/dashboard) in headless Chromium: an
// admin signs in with password and authenticator app, finds a customer, opens it with its sessions and audit
// trail, ends a session and starts an impersonation.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { totp } from "./totp.mjs";

export async function dashboardTest(context, base, dashboardOrigin, bin, env) {
  const post = (query, variables, bearer) => fetch(base + "/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(bearer && { Authorization: "Bearer " + bearer }) },
    body: JSON.stringify({ query, variables }),
  }).then((r) => r.json());

  // An owner, as `gatehouse users create` makes the first admin.
  const admin = { email: `dash-admin-${Date.now()}@example.com`, password: "lantern orchard meridian" };
  execFileSync(bin, ["users", "create", "--email", admin.email, "--password-stdin"], { input: admin.password + "\n", env, stdio: ["pipe", "ignore", "inherit"] });
  // A customer with a live session, and one more to search past.
  const stamp = Date.now();
  const customer = { email: `dash-shopper-${stamp}@example.com`, password: "violet harbour compass" };
  for (const c of [customer, { email: `dash-other-${stamp}@example.com`, password: customer.password }]) {
    const reg = await post(`mutation($e: String!, $p: String!) { register(actor: CUSTOMER, provider: "emailpass", input: {email: $e, password: $p}) { ticket { accessToken } errors { code } } }`, { e: c.email, p: c.password });
    assert.ok(reg.data.register.ticket, "register: " + JSON.stringify(reg));
    // Markup in a name must reach the page as text.
    await post(`mutation($n: String) { createCustomer(input: {firstName: $n}) { customer { id } } }`, { n: '<img id="injected" src="x">Dana' }, reg.data.register.ticket.accessToken);
  }
  const signIn = await post(`mutation($e: String, $p: String) { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: $e, password: $p}) { ticket { accessToken sessionId } } }`, { e: customer.email, p: customer.password });
  const shopper = signIn.data.authenticate.ticket;
  const me = async () => (await post(`{ currentCustomer { id } }`, null, shopper.accessToken));

  // The admin enrolls an authenticator app, confirmed with the previous
  // step's code (accepted within ±1 step) so that the page's code, the
  // current one, is still unused.
  const first = await post(`mutation($e: String, $p: String) { authenticate(actor: USER, provider: "emailpass", input: {email: $e, password: $p}) { ticket { accessToken } } }`, { e: admin.email, p: admin.password });
  const adminToken = first.data.authenticate.ticket.accessToken;
  const enroll = (await post(`mutation { enrollTotp { factorId secret errors { code } } }`, null, adminToken)).data.enrollTotp;
  assert.ok(enroll.secret, "enrollTotp: " + JSON.stringify(enroll));
  const confirmed = (await post(`mutation($f: ID!, $c: String!) { confirmTotp(factorId: $f, code: $c) { recoveryCodes errors { code } } }`, { f: enroll.factorId, c: totp(enroll.secret, -1) }, adminToken)).data.confirmTotp;
  assert.equal(confirmed.recoveryCodes?.length, 10, "confirmTotp: " + JSON.stringify(confirmed));

  const page = await context.newPage();
  const outside = [];
  await page.route("**/*", (route) => {
    const u = new URL(route.request().url());
    if (["127.0.0.1", "localhost"].includes(u.hostname)) return route.continue();
    outside.push(u.href);
    return route.abort();
  });
  await page.goto(`${dashboardOrigin}/?api=${encodeURIComponent(base + "/graphql")}`);
  await page.fill("#email", admin.email);
  await page.fill("#password", admin.password);
  await page.click("#signin button[type=submit]");
  // The password is right: the page asks for the second factor.
  await page.waitForSelector("#mfa:not([hidden])");
  assert.equal(await page.textContent("#who"), "nobody", "signed in on the password alone");
  await page.fill("#totp", "000000");
  await page.click("#mfa button[type=submit]");
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("INVALID_CREDENTIALS"));
  await page.fill("#totp", totp(enroll.secret));
  await page.click("#mfa button[type=submit]");
  await page.waitForFunction((e) => document.getElementById("who").textContent === e, admin.email);
  const level = await page.evaluate(() => window.dashboard.gql(`{ currentSession(actor: USER) { aal amr } }`));
  assert.equal(level.currentSession.aal, "aal2", "the admin's session: " + JSON.stringify(level));
  assert.match(await page.textContent("#permissions"), /IMPERSONATE_CUSTOMERS/);

  // Search by part of the email: one match, opened.
  await page.fill("#query", `shopper-${stamp}`);
  await page.click("#search button[type=submit]");
  await page.waitForFunction(() => document.getElementById("total").textContent === "1");
  assert.match(await page.textContent("#results"), /<img id="injected" src="x">Dana/);
  assert.equal(await page.$("#injected"), null, "a customer's name was rendered as HTML");
  await page.click("#results button.open");
  await page.waitForSelector("#sessions button.end-session");
  const customerId = (await me()).data.currentCustomer.id;

  // End the shopper's session: its token stops working at once.
  await page.click(`#sessions button.end-session[data-id="${shopper.sessionId}"]`);
  await page.waitForFunction((id) => !document.querySelector(`#sessions button[data-id="${id}"]`), shopper.sessionId);
  const after = await me();
  assert.equal(after.errors?.[0]?.extensions?.code, "UNAUTHENTICATED", "the ended session still works: " + JSON.stringify(after));

  // Impersonate: the token names the admin, the session list shows it.
  const adminId = (await page.evaluate(() => window.dashboard.gql(`{ currentUser { id } }`))).currentUser.id;
  await page.fill("#reason", "ticket 4711");
  await page.click("#impersonate");
  await page.waitForFunction(() => document.getElementById("impersonation").dataset.act);
  assert.equal(await page.getAttribute("#impersonation", "data-act"), adminId);
  assert.match(await page.textContent("#impersonation"), new RegExp(customerId));
  await page.waitForFunction((id) => document.getElementById("sessions").textContent.includes(id), adminId);

  // The trail on the page holds both actions, and the customer's own
  // sign-in.
  await page.waitForFunction(() => document.getElementById("audit").textContent.includes("admin.customer_impersonated"));
  const audit = await page.textContent("#audit");
  for (const type of ["admin.customer_sessions_revoked", "admin.customer_impersonated", "auth.login_succeeded"]) {
    assert.ok(audit.includes(type), `the audit trail lacks ${type}: ${audit}`);
  }
  assert.equal(await page.textContent("#status"), "", "the page showed an error");
  assert.deepEqual(outside, [], "the dashboard asked for something outside the machine");
  await page.close();
}
