import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { post, serverEverythingPath, startGateway, type TestGateway } from "./helpers.js";

let t: TestGateway;
let admin: Record<string, string>;
const everything = { command: process.execPath, args: [serverEverythingPath(), "stdio"] };
const argv = JSON.stringify([everything.command, ...everything.args]);
// The operator's entry fixes cwd and env too; a reference such as ${env:NAME} is resolved before it gets here.
const entry = { ...everything, cwd: process.cwd(), env: { MODE: "read-only" } };

beforeAll(async () => {
  t = await startGateway({ stdioAllowlist: [entry] });
  admin = { authorization: `Bearer ${await t.key(["admin"])}` };
});
afterAll(async () => {
  await t?.close();
});

async function refused(name: string, body: Record<string, unknown>, message: string) {
  const res = await post(`${t.url}/admin/servers`, { name, ...body }, admin);
  expect(res.status).toBe(403);
  expect(res.body.error).toMatchObject({ code: "forbidden", message });
  expect(await t.repos.mcpServers.get(name)).toBeNull();
}

describe("stdio servers from the admin API must match an allowlist entry in command, args, cwd and env", () => {
  it("refuses the allowlisted command with an extra env variable such as NODE_OPTIONS with 403 naming it", async () => {
    await refused(
      "inject",
      {
        ...everything,
        env: { MODE: "read-only", NODE_OPTIONS: "--import=data:text/javascript,process.exit(9)" },
      },
      `The stdioAllowlist entry for ${argv} fixes cwd and env: env NODE_OPTIONS is not in the entry. Leave env and cwd out to use the entry's, or change the entry in the config file.`,
    );
  });

  it("refuses a changed value of an allowlisted env variable with 403 naming the variable", async () => {
    await refused(
      "mode",
      { ...everything, env: { MODE: "read-write" } },
      `The stdioAllowlist entry for ${argv} fixes cwd and env: env MODE differs from the entry's value. Leave env and cwd out to use the entry's, or change the entry in the config file.`,
    );
  });

  it("refuses another cwd with 403 naming both", async () => {
    await refused(
      "elsewhere",
      { ...everything, cwd: "/tmp" },
      `The stdioAllowlist entry for ${argv} fixes cwd and env: cwd '/tmp' differs from the entry's '${process.cwd()}'. Leave env and cwd out to use the entry's, or change the entry in the config file.`,
    );
  });

  it("matches on the argv array, so args that join to the same command line are refused", async () => {
    const [script, mode] = everything.args;
    await refused(
      "joined",
      { command: `${everything.command} ${script}`, args: [mode] },
      `Stdio servers can be added over HTTP only as an entry of the operator's stdioAllowlist; no entry has the command and args ${JSON.stringify([`${everything.command} ${script}`, mode])}. Add the server in the config file instead.`,
    );
  });

  it("adds the server with the entry's cwd and env when the request leaves them out", async () => {
    const res = await post(`${t.url}/admin/servers`, { name: "fixed", ...everything }, admin);
    expect(res.status).toBe(201);
    expect((await t.repos.mcpServers.get("fixed"))?.config).toMatchObject({
      transport: "stdio",
      command: everything.command,
      args: everything.args,
      cwd: process.cwd(),
      env: { MODE: "read-only" },
    });
  });

  it("adds the server when the request repeats the entry's cwd and env exactly", async () => {
    const res = await post(`${t.url}/admin/servers`, { name: "same", ...entry }, admin);
    expect(res.status).toBe(201);
  });
});
