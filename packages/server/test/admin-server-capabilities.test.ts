import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, startGateway, type TestGateway } from "./helpers.js";

let t: TestGateway;
let admin: Record<string, string>;

beforeAll(async () => {
  t = await startGateway();
  admin = { authorization: `Bearer ${await t.key(["admin"])}` };
});
afterAll(async () => {
  await t?.close();
});

describe("GET /admin/servers/:name/capabilities", () => {
  it("lists one server's tools, prompts and resources with their gateway names", async () => {
    const res = await get(`${t.url}/admin/servers/local/capabilities`, admin);
    expect(res.status).toBe(200);
    expect(res.body.server).toBe("local");
    expect(res.body.tools).toContainEqual({
      name: "local__echo",
      originalName: "echo",
      description: "Echoes the text back",
    });
    expect(res.body.prompts).toEqual([
      { name: "local__greet", originalName: "greet", description: "Greets someone" },
    ]);
    expect(res.body.resources).toEqual([{ uri: "local://motd", name: "motd", description: null }]);
    expect(res.body.resourceTemplates).toEqual([]);
  });

  it("answers an unknown server with 404 naming where to list them, and needs the admin scope", async () => {
    const missing = await get(`${t.url}/admin/servers/nope/capabilities`, admin);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain("list them with GET /admin/servers");
    const reader = await get(`${t.url}/admin/servers/local/capabilities`, {
      authorization: `Bearer ${await t.key(["tools:list"])}`,
    });
    expect(reader.status).toBe(403);
  });
});
