import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { post, startGateway, type TestGateway } from "./helpers.js";

let t: TestGateway;
let admin: Record<string, string>;
const DAY_MS = 86_400_000;

beforeAll(async () => {
  t = await startGateway({ keyPolicy: { maxExpiresInDays: 30, defaultScopes: ["tools:list"] } });
  admin = { authorization: `Bearer ${await t.key(["admin"])}` };
});
afterAll(async () => {
  await t?.close();
});

const inDays = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString();

describe("POST /admin/keys applies the key policy and scope rules the CLI applies", () => {
  it("refuses a key without an expiry when the policy sets maxExpiresInDays, with 400 naming the fix", async () => {
    const res = await post(`${t.url}/admin/keys`, { name: "forever", scopes: ["tools:call"] }, admin);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("bad_request");
    expect(res.body.error.message).toMatch(
      /^Invalid API key request: expiresAt: the key policy requires an expiry of at most 30 days; give expiresAt as an ISO 8601 date-time no later than \d{4}-\d\d-\d\dT/,
    );
    expect((await t.repos.apiKeys.list()).some((k) => k.name === "forever")).toBe(false);
  });

  it("refuses an expiry beyond the policy's limit with 400 naming the latest allowed date", async () => {
    const res = await post(
      `${t.url}/admin/keys`,
      { name: "long", scopes: ["tools:call"], expiresAt: inDays(90) },
      admin,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("bad_request");
    expect(res.body.error.message).toContain(
      "expiresAt: the key policy allows keys for at most 30 days; give expiresAt as an ISO 8601 date-time no later than",
    );
  });

  it("refuses an expiry in the past with 400", async () => {
    const res = await post(
      `${t.url}/admin/keys`,
      { name: "stale", scopes: ["tools:call"], expiresAt: inDays(-1) },
      admin,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("bad_request");
    expect(res.body.error.message).toContain("expiresAt: the expiry must be in the future");
  });

  it.each([["root"], ["*"]])(
    "refuses the unknown scope %s with 400 listing the known scopes",
    async (scope) => {
      const res = await post(
        `${t.url}/admin/keys`,
        { name: "odd", scopes: ["tools:call", scope], expiresAt: inDays(7) },
        admin,
      );
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("bad_request");
      expect(res.body.error.message).toBe(
        `Invalid API key request: scopes: unknown scope(s) "${scope}": use tools:list, tools:call, admin, metrics:read`,
      );
    },
  );

  it("creates a key within the policy, with the policy's default scopes when none are given", async () => {
    const res = await post(`${t.url}/admin/keys`, { name: "ok", expiresAt: inDays(7) }, admin);
    expect(res.status).toBe(201);
    expect(res.body.key.scopes).toEqual(["tools:list"]);
    expect(Date.parse(res.body.key.expiresAt)).toBeGreaterThan(Date.now() + 6 * DAY_MS);
  });
});

describe("POST /admin/keys without a key policy", () => {
  it("still refuses unknown scopes, and creates keys without an expiry", async () => {
    const plain = await startGateway();
    try {
      const headers = { authorization: `Bearer ${await plain.key(["admin"])}` };
      const refused = await post(`${plain.url}/admin/keys`, { name: "x", scopes: ["root"] }, headers);
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toContain('unknown scope(s) "root"');
      const created = await post(`${plain.url}/admin/keys`, { name: "y", scopes: ["tools:call"] }, headers);
      expect(created.status).toBe(201);
      expect(created.body.key.expiresAt).toBeNull();
    } finally {
      await plain.close();
    }
  });
});
