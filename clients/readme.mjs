// The README's first session in the playground, run block by block as the
// README prints them, so that what a newcomer pastes keeps working: each
// graphql block must be one named operation, and each must succeed in
// order, with the variables and headers the text tells of.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";

export async function readmeTest(base, bin, env) {
  const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
  const from = readme.indexOf("## A first session in the playground");
  assert.ok(from >= 0, "the README has no first-session section");
  const section = readme.slice(from, readme.indexOf("\n## ", from + 1));
  const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map(([, lang, text]) => ({ lang, text }));
  const ops = new Map();
  for (const { text } of blocks.filter((b) => b.lang === "graphql")) {
    const heads = [...text.matchAll(/^(query|mutation|subscription)\b\s*(\w*)/gm)];
    assert.equal(heads.length, 1, "one operation per block:\n" + text);
    assert.ok(heads[0][2], "a named operation:\n" + text);
    ops.set(heads[0][2], text);
  }
  const variables = blocks.filter((b) => b.lang === "json").map((b) => JSON.parse(b.text));
  const shell = blocks.filter((b) => b.lang === "sh").map((b) => b.text.trim());

  const run = async (name, vars, bearer) => {
    assert.ok(ops.has(name), `the README lost the ${name} block`);
    const res = await fetch(base + "/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", ...(bearer && { authorization: "Bearer " + bearer }) },
      body: JSON.stringify({ query: ops.get(name), variables: vars }),
    });
    const body = await res.json();
    assert.equal(body.errors, undefined, `${name}: ${JSON.stringify(body)}`);
    const payload = Object.values(body.data)[0];
    assert.deepEqual((payload && payload.errors) || [], [], `${name}: ${JSON.stringify(body)}`);
    return payload;
  };

  const reg = (await run("Register")).ticket;
  assert.equal(reg.actorId, null);
  const customer = (await run("CreateCustomer", null, reg.accessToken)).customer;
  assert.equal((await run("ResignToken", null, reg.accessToken)).ticket.actorId, customer.id);
  const signIn = (await run("SignIn", variables[0])).ticket;
  assert.equal((await run("Me", null, signIn.accessToken)).id, customer.id);
  assert.ok((await run("RotateRefreshToken", { refreshToken: signIn.refreshToken })).ticket.refreshToken);

  // The admin user, created as the README's command does (the binary in
  // place of `go run`), on the server's database.
  const create = shell.find((c) => c.includes("users create"));
  assert.ok(create, "the README lost the users create command");
  const [, password] = create.match(/^echo '([^']+)' \| go run \.\/cmd\/gatehouse (.*)$/) || [];
  assert.ok(password, "the users create command is not `echo '…' | go run ./cmd/gatehouse …`: " + create);
  const args = create.replace(/^.*go run \.\/cmd\/gatehouse /, "").split(/\s+/);
  execFileSync(bin, args, { input: password + "\n", env, stdio: ["pipe", "ignore", "inherit"] });
  const admin = (await run("SignInAdmin")).ticket.accessToken;
  const inviteToken = (await run("Invite", null, admin)).inviteToken;
  const invitee = (await run("RegisterInvitee", { inviteToken })).ticket.accessToken;
  const user = (await run("AcceptInvite", { inviteToken }, invitee)).user;
  assert.ok(user.id);
  assert.ok((await run("ResignToken", null, invitee)).ticket.accessToken);

  // Ada's copy of her data, then her account deleted.
  const data = (await run("ExportMyData", null, signIn.accessToken)).data;
  assert.equal(data.profile.id, customer.id);
  assert.equal(data.profile.email, variables[0].email);
  assert.equal((await run("DeleteMyAccount", null, signIn.accessToken)).deleted, true);
  const res = await fetch(base + "/graphql", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: ops.get("SignIn"), variables: variables[0] }),
  });
  assert.equal((await res.json()).data.authenticate.errors[0].code, "INVALID_CREDENTIALS");
}
