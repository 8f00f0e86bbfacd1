// A fake GitHub (plain OAuth 2.0) for the real-client tests: gatehouse is
// configured with its authorize, token and API URLs. It signs in one
// person, checks the PKCE verifier gatehouse sends with the code, and
// answers /user and /user/emails as GitHub does.
import { createServer } from "node:http";
import { createHash, randomBytes } from "node:crypto";

export async function fakeGitHub() {
  const clientId = "clients-test";
  const clientSecret = randomBytes(16).toString("hex");
  const user = { id: 4242, login: "apollo-oauth", email: `apollo-oauth-${Date.now()}@example.com` };
  const codes = new Map(); // code → { challenge, redirectUri }
  const tokens = new Set();
  const json = (res, status, v) => res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(v));
  const srv = createServer(async (req, res) => {
    const u = new URL(req.url, "http://x");
    if (u.pathname === "/authorize") {
      // The person signs in at once and is sent back with a code.
      const q = u.searchParams;
      if (q.get("client_id") !== clientId || q.get("code_challenge_method") !== "S256") return json(res, 400, { error: "invalid_request" });
      const code = randomBytes(16).toString("hex");
      codes.set(code, { challenge: q.get("code_challenge"), redirectUri: q.get("redirect_uri") });
      const back = new URL(q.get("redirect_uri"));
      back.searchParams.set("code", code);
      back.searchParams.set("state", q.get("state"));
      return res.writeHead(302, { Location: back.toString() }).end();
    }
    if (u.pathname === "/token" && req.method === "POST") {
      let body = "";
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      const basic = (req.headers.authorization || "").replace(/^Basic /, "");
      const [id, secret] = Buffer.from(basic, "base64").toString().split(":").map(decodeURIComponent);
      const ok = (id === clientId && secret === clientSecret) || (form.get("client_id") === clientId && form.get("client_secret") === clientSecret);
      if (!ok) return json(res, 401, { error: "invalid_client" });
      const grant = codes.get(form.get("code"));
      codes.delete(form.get("code"));
      const verifier = form.get("code_verifier") || "";
      if (!grant || grant.redirectUri !== form.get("redirect_uri") ||
          createHash("sha256").update(verifier).digest("base64url") !== grant.challenge) {
        return json(res, 400, { error: "invalid_grant" });
      }
      const token = randomBytes(16).toString("hex");
      tokens.add(token);
      return json(res, 200, { access_token: token, token_type: "bearer", scope: "read:user,user:email" });
    }
    if (!tokens.has((req.headers.authorization || "").replace(/^Bearer /, ""))) return json(res, 401, { message: "Bad credentials" });
    if (u.pathname === "/api/user") return json(res, 200, { id: user.id, login: user.login });
    if (u.pathname === "/api/user/emails") return json(res, 200, [{ email: user.email, primary: true, verified: true }]);
    json(res, 404, { message: "Not Found" });
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${srv.address().port}`;
  return {
    clientId, clientSecret, user,
    authURL: base + "/authorize", tokenURL: base + "/token", apiURL: base + "/api",
    // authorize follows the authorization URL as the browser would, and
    // returns the query the provider sent the browser back with.
    async authorize(location) {
      const r = await fetch(location, { redirect: "manual" });
      if (r.status !== 302) throw new Error(`the provider answered ${r.status}: ${await r.text()}`);
      return new URL(r.headers.get("location")).searchParams;
    },
    close: () => srv.close(),
  };
}
