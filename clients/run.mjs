// Starts gatehouse (with a fake GitHub as its third-party provider) and
// runs the real-client tests against it: the README's first session, Apollo
// Client in Node, and the example SPA, the example dashboard and the
// playground in Chromium.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { apolloTest } from "./apollo.mjs";
import { browserTests } from "./browser.mjs";
import { fakeGitHub } from "./provider.mjs";
import { readmeTest } from "./readme.mjs";

const [bin, dir] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));

// serveStatic serves examples/spa on a free port and returns its origin.
async function serveStatic(root) {
  const srv = createServer(async (req, res) => {
    const name = new URL(req.url, "http://x").pathname.replace(/^\/$/, "/index.html");
    if (name.includes("..")) { res.writeHead(404).end(); return; }
    try {
      const body = await readFile(join(root, name));
      res.writeHead(200, { "Content-Type": name.endsWith(".js") ? "text/javascript" : "text/html" }).end(body);
    } catch { res.writeHead(404).end(); }
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const port = srv.address().port;
  // localhost is the same server under the name passkeys need: a
  // relying-party id is a domain, never an IP address.
  return { origin: `http://127.0.0.1:${port}`, localOrigin: `http://localhost:${port}`, close: () => srv.close() };
}

const spa = await serveStatic(join(here, "..", "examples", "spa"));
const foreign = await serveStatic(join(here, "..", "examples", "spa"));
const dashboard = await serveStatic(join(here, "..", "examples", "dashboard"));
const github = await fakeGitHub();
github.callback = spa.origin + "/auth/callback";

const port = 20000 + Math.floor(Math.random() * 20000);
const base = `http://127.0.0.1:${port}`;
const env = {
  ...process.env,
  GATEHOUSE_ADDR: `127.0.0.1:${port}`,
  GATEHOUSE_DATABASE_URL: `sqlite:${join(dir, "clients.db")}`,
  GATEHOUSE_CORS_ORIGINS: `${spa.origin},${spa.localOrigin},${dashboard.origin}`,
  // Passkeys for the SPA served as localhost (Chromium's virtual
  // authenticator answers them).
  GATEHOUSE_WEBAUTHN_RP_ID: "localhost",
  GATEHOUSE_WEBAUTHN_ORIGINS: spa.localOrigin,
  // Short tokens, so the Apollo test meets an expired one.
  GATEHOUSE_CUSTOMER_ACCESS_TOKEN_TTL: "2s",
  GATEHOUSE_RATE_LIMIT_IP: "10000/1m",
  GATEHOUSE_RATE_LIMIT_IDENTIFIER: "10000/1m",
  GATEHOUSE_LOG_LEVEL: "warn",
  // A fake GitHub, for the Apollo test's third-party sign-in.
  GATEHOUSE_PROVIDERS: "github",
  GATEHOUSE_PROVIDER_GITHUB_CLIENT_ID: github.clientId,
  GATEHOUSE_PROVIDER_GITHUB_CLIENT_SECRET: github.clientSecret,
  GATEHOUSE_PROVIDER_GITHUB_AUTH_URL: github.authURL,
  GATEHOUSE_PROVIDER_GITHUB_TOKEN_URL: github.tokenURL,
  GATEHOUSE_PROVIDER_GITHUB_API_URL: github.apiURL,
  GATEHOUSE_PROVIDER_GITHUB_CUSTOMER_REDIRECT_URLS: github.callback,
};
const server = spawn(bin, ["serve"], { env, stdio: ["ignore", "inherit", "inherit"] });
let failed = false;
try {
  for (let i = 0; ; i++) {
    try { if ((await fetch(base + "/readyz")).ok) break; } catch {}
    if (i > 100) throw new Error("gatehouse did not become ready");
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const [name, run] of [
    ["readme", () => readmeTest(base, bin, env)],
    ["apollo", () => apolloTest(base, github)],
    ["browser", () => browserTests(base, spa, foreign.origin, dashboard.origin, bin, env, port)],
  ]) {
    const t0 = Date.now();
    try {
      await run();
      console.log(`ok   ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      failed = true;
      console.log(`FAIL ${name}: ${e.stack || e}`);
    }
  }
} finally {
  server.kill("SIGTERM");
  spa.close();
  foreign.close();
  dashboard.close();
  github.close();
}
process.exit(failed ? 1 : 0);
