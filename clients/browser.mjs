// The example SPA and the playground in headless Chromium, with
// playwright-core driving Debian's chromium.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { dashboardTest } from "./dashboard.mjs";

const loopback = (url) => {
  const u = new URL(url);
  return ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname) || u.protocol === "data:" || u.protocol === "blob:";
};

export async function browserTests(base, spa, foreignOrigin, dashboardOrigin, bin, env, port) {
  const spaOrigin = spa.origin;
  const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "gatehouse-chromium-")), {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  try {
    await playgroundTest(browser, base);
    await spaTest(browser, base, spaOrigin, foreignOrigin);
    // The same SPA under localhost, with the API under localhost too: one
    // site, so its cookie session works, and a relying-party id passkeys
    // accept.
    await passkeyTest(browser, `http://localhost:${port}`, spa.localOrigin);
    await dashboardTest(browser, base, dashboardOrigin, bin, env);
  } finally {
    await browser.close();
  }
}

// The playground loads with every non-loopback request aborted, and runs a
// query.
async function playgroundTest(context, base) {
  const page = await context.newPage();
  const outside = [];
  await page.route("**/*", (route) => {
    if (loopback(route.request().url())) return route.continue();
    outside.push(route.request().url());
    return route.abort();
  });
  const cspErrors = [];
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });
  await page.goto(base + "/", { waitUntil: "load" });
  await page.waitForSelector(".graphiql-container", { timeout: 20000 });
  const answer = await page.evaluate(async () => {
    const r = await fetch("/graphql", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ query: "{ authProviders(actor: CUSTOMER) { id } }" }) });
    return r.json();
  });
  assert.equal(answer.data.authProviders[0].id, "emailpass");
  // And through GraphiQL itself: set the query and press run.
  await page.click(".graphiql-query-editor .CodeMirror");
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText("query Providers { authProviders(actor: CUSTOMER) { id displayName } }");
  await page.waitForTimeout(300); // GraphiQL re-reads the operation after an edit
  await page.click(".graphiql-execute-button");
  await page.waitForFunction(() => document.querySelector(".graphiql-response")?.textContent.includes("Email and password"), null, { timeout: 20000 });
  assert.deepEqual(outside, [], "the playground asked for something outside the machine");
  assert.deepEqual(cspErrors, [], "the playground broke its Content-Security-Policy");
  await page.close();
}

// Sign in → createSession sets the cookie → currentCustomer and a mutation
// with the CSRF header → sign out; without the header, and from a foreign
// origin, a cookie mutation is refused.
async function spaTest(context, base, spaOrigin, foreignOrigin) {
  const email = `spa-${Date.now()}@example.com`;
  const password = "spa browser password";
  const post = (query, variables, bearer) => fetch(base + "/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(bearer && { Authorization: "Bearer " + bearer }) },
    body: JSON.stringify({ query, variables }),
  }).then((r) => r.json());
  const reg = await post(`mutation($e: String!, $p: String!) { register(actor: CUSTOMER, provider: "emailpass", input: {email: $e, password: $p}) { ticket { accessToken } } }`, { e: email, p: password });
  await post(`mutation { createCustomer(input: {}) { customer { id } } }`, null, reg.data.register.ticket.accessToken);

  const page = await context.newPage();
  await page.goto(`${spaOrigin}/?api=${encodeURIComponent(base + "/graphql")}`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("button[type=submit]");
  await page.waitForFunction((e) => document.getElementById("who").textContent.startsWith(e), email);

  const cookies = await context.cookies(base);
  const session = cookies.find((c) => c.name.endsWith("gatehouse-customer-session"));
  assert.ok(session, "createSession set the session cookie");
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, "Lax");

  // A cookie mutation without the CSRF header is refused.
  const noCSRF = await page.evaluate(() => window.storefront.gql(`mutation { updateCustomer(input: {firstName: "Mallory"}) { errors { code } } }`));
  assert.equal(noCSRF.errors[0].extensions.code, "FORBIDDEN");
  // With it, it works.
  await page.click("#rename");
  await page.waitForFunction(() => document.getElementById("who").textContent.includes("(Ada)"));

  // A page from another origin cannot use the cookie.
  const evil = await context.newPage();
  await evil.goto(`${foreignOrigin}/?api=${encodeURIComponent(base + "/graphql")}`);
  const foreign = await evil.evaluate(async (api) => {
    try {
      const r = await fetch(api, { method: "POST", credentials: "include", headers: { "Content-Type": "text/plain" }, body: JSON.stringify({ query: `mutation { updateCustomer(input: {firstName: "Evil"}) { errors { code } } }` }) });
      return { status: r.status };
    } catch (e) {
      return { blocked: String(e) };
    }
  }, base + "/graphql");
  assert.ok(foreign.blocked || foreign.status === 403 || foreign.status === 400, "a foreign page's mutation went through: " + JSON.stringify(foreign));
  await evil.close();

  // Sign out: the session ends and the cookie is cleared.
  await page.click("#signout");
  await page.waitForFunction(() => document.getElementById("who").textContent === "nobody");
  const after = await context.cookies(base);
  assert.ok(!after.some((c) => c.name.endsWith("gatehouse-customer-session") && c.value), "the cookie outlived the sign-out");
  await page.close();
}

// A shopper signs in with a password, adds a passkey (Chromium's virtual
// authenticator: CTAP2, internal transport, resident key, user
// verification), signs out, and signs in with the passkey alone, at aal2.
async function passkeyTest(context, base, spaOrigin) {
  const email = `passkey-${Date.now()}@example.com`;
  const password = "amber orchard meridian";
  const post = (query, variables, bearer) => fetch(base.replace("localhost", "127.0.0.1") + "/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(bearer && { Authorization: "Bearer " + bearer }) },
    body: JSON.stringify({ query, variables }),
  }).then((r) => r.json());
  const reg = await post(`mutation($e: String!, $p: String!) { register(actor: CUSTOMER, provider: "emailpass", input: {email: $e, password: $p}) { ticket { accessToken } } }`, { e: email, p: password });
  assert.ok(reg.data?.register?.ticket, "register: " + JSON.stringify(reg));
  await post(`mutation { createCustomer(input: {}) { customer { id } } }`, null, reg.data.register.ticket.accessToken);

  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  await page.goto(`${spaOrigin}/?api=${encodeURIComponent(base + "/graphql")}`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("button[type=submit]");
  await page.waitForFunction((e) => document.getElementById("who").textContent.startsWith(e), email);

  await page.click("#add-passkey");
  await page.waitForFunction(() => /passkey/.test(document.getElementById("status").textContent));
  assert.equal(await page.textContent("#status"), "passkey added");
  assert.equal((await page.textContent("#recovery")).split(" ").length, 10, "no recovery codes with the first factor");
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  assert.equal(credentials.length, 1, "the authenticator holds no passkey");
  assert.equal(credentials[0].isResidentCredential, true, "the passkey is not discoverable");

  await page.click("#signout");
  await page.waitForFunction(() => document.getElementById("who").textContent === "nobody");
  await page.click("#passkey-signin");
  await page.waitForFunction((e) => document.getElementById("who").textContent.startsWith(e), email, { timeout: 20000 });
  const level = await page.evaluate(() => window.storefront.gql(`{ currentSession(actor: CUSTOMER) { aal amr signInMethod } }`));
  assert.equal(level.data.currentSession.aal, "aal2", "the passkey session: " + JSON.stringify(level));
  assert.equal(level.data.currentSession.signInMethod, "passkey");
  // The signature counter moved forward, as the server saw it.
  const after = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  assert.ok(after.credentials[0].signCount >= 1, "the authenticator did not count the assertion");
  await page.close();
}
