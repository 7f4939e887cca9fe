import { describe, expect, it } from "vitest";
import { createRepositories } from "../src/index.js";
import { manualClock, SECRET, useTempDirs } from "./helpers.js";

const temp = useTempDirs();
const OTHER_SECRET = "another-secret-key-0123456789abcdef-01234567";
const ACCESS = "upstream-access-token-0123456789abcdef";
const REFRESH = "upstream-refresh-token-0123456789abcdef";

async function store() {
  const clock = manualClock();
  const db = await temp.db();
  const repos = createRepositories(db, { secretKey: SECRET, clock: clock.now });
  return { repo: repos.upstreamUserTokens, clock, db };
}

describe("upstreamUserTokens", () => {
  it("stores one token set per server and principal, replaces it, and lists it without secrets", async () => {
    const { repo, clock } = await store();
    const expiresAt = new Date(clock.now() + 3_600_000);
    await repo.save("crm", "key-a", { access_token: ACCESS, refresh_token: REFRESH }, expiresAt);
    await repo.save("crm", "key-b", { access_token: "b-token" }, null);
    expect(await repo.get("crm", "key-a")).toEqual({ access_token: ACCESS, refresh_token: REFRESH });
    expect(await repo.get("crm", "key-c")).toBeUndefined();
    expect(await repo.get("other", "key-a")).toBeUndefined();
    await repo.save("crm", "key-a", { access_token: "rotated" }, expiresAt);
    expect(await repo.get("crm", "key-a")).toEqual({ access_token: "rotated" });
    const listed = await repo.list({ server: "crm" });
    expect(listed.map((row) => [row.principal, row.expiresAt?.getTime() ?? null])).toEqual([
      ["key-a", expiresAt.getTime()],
      ["key-b", null],
    ]);
    expect(JSON.stringify(listed)).not.toContain("rotated");
    expect(await repo.list({ principal: "key-b" })).toHaveLength(1);
  });

  it("keeps no token in clear in the table", async () => {
    const { repo, db } = await store();
    await repo.save("crm", "key-a", { access_token: ACCESS, refresh_token: REFRESH }, null);
    const rows = await db.client.execute("SELECT * FROM upstream_user_tokens");
    const dump = JSON.stringify(rows.rows);
    expect(dump).toContain("key-a");
    expect(dump).not.toContain(ACCESS);
    expect(dump).not.toContain(REFRESH);
  });

  it("revokes one principal's token, or every token of a principal", async () => {
    const { repo } = await store();
    await repo.save("crm", "key-a", { access_token: ACCESS }, null);
    await repo.save("mail", "key-a", { access_token: ACCESS }, null);
    await repo.save("crm", "key-b", { access_token: ACCESS }, null);
    expect(await repo.revoke("crm", "key-a")).toBe(true);
    expect(await repo.revoke("crm", "key-a")).toBe(false);
    expect(await repo.get("crm", "key-b")).toBeDefined();
    expect(await repo.revokePrincipal("key-a")).toBe(1);
    expect((await repo.list()).map((row) => `${row.server}/${row.principal}`)).toEqual(["crm/key-b"]);
  });

  it("treats tokens sealed under another secret key, or moved to another row, as absent", async () => {
    const { repo, db } = await store();
    await repo.save("crm", "victim", { access_token: ACCESS }, null);
    await repo.save("crm", "mallory", { access_token: "mine" }, null);
    expect(
      await createRepositories(db, { secretKey: OTHER_SECRET }).upstreamUserTokens.get("crm", "victim"),
    ).toBe(undefined);
    await db.client.execute(
      "UPDATE upstream_user_tokens SET payload = (SELECT payload FROM upstream_user_tokens WHERE principal = 'victim') WHERE principal = 'mallory'",
    );
    expect(await repo.get("crm", "mallory")).toBeUndefined();
  });
});
