import { describe, expect, it } from "vitest";
import { createRepositories } from "../src/index.js";
import { manualClock, SECRET, useTempDirs } from "./helpers.js";

const temp = useTempDirs();
const OTHER_SECRET = "another-secret-key-0123456789abcdef-01234567";

async function store() {
  const clock = manualClock();
  const db = await temp.db();
  const repos = createRepositories(db, { secretKey: SECRET, clock: clock.now });
  return { repo: repos.oauthStore, clock, db };
}

const REFRESH_TOKEN = "rt-secret-value-0123456789abcdefghij";

describe("oauthStore", () => {
  it("stores, finds, consumes and destroys objects by model and id", async () => {
    const { repo } = await store();
    await repo.upsert(
      "RefreshToken",
      REFRESH_TOKEN,
      { jti: REFRESH_TOKEN, grantId: "g1", accountId: "k1" },
      60,
    );
    expect(await repo.find("RefreshToken", REFRESH_TOKEN)).toEqual({
      jti: REFRESH_TOKEN,
      grantId: "g1",
      accountId: "k1",
    });
    expect(await repo.find("AccessToken", REFRESH_TOKEN)).toBeUndefined();
    expect(await repo.find("RefreshToken", "other")).toBeUndefined();
    await repo.consume("RefreshToken", REFRESH_TOKEN);
    expect(await repo.find("RefreshToken", REFRESH_TOKEN)).toMatchObject({ consumed: expect.any(Number) });
    await repo.destroy("RefreshToken", REFRESH_TOKEN);
    expect(await repo.find("RefreshToken", REFRESH_TOKEN)).toBeUndefined();
  });

  it("keeps no id or payload in clear: ids hashed, payloads sealed", async () => {
    const { repo, db } = await store();
    await repo.upsert("RefreshToken", REFRESH_TOKEN, { jti: REFRESH_TOKEN, grantId: "g1" }, 60);
    const rows = await db.client.execute("SELECT * FROM oauth_store");
    expect(rows.rows).toHaveLength(1);
    expect(JSON.stringify(rows.rows)).not.toContain(REFRESH_TOKEN);
    expect(String(rows.rows[0]?.payload)).toMatch(/^wgenc:v1:/);
  });

  it("returns nothing once expired, and prunes expired rows", async () => {
    const { repo, clock, db } = await store();
    await repo.upsert("AuthorizationCode", "code-1", { grantId: "g1" }, 60);
    await repo.upsert("Client", "client-1", { client_id: "client-1" });
    clock.advance(61_000);
    expect(await repo.find("AuthorizationCode", "code-1")).toBeUndefined();
    expect(await repo.find("Client", "client-1")).toEqual({ client_id: "client-1" });
    expect(await repo.pruneExpired()).toBe(1);
    const left = await db.client.execute("SELECT model FROM oauth_store");
    expect(left.rows.map((row) => row.model)).toEqual(["Client"]);
  });

  it("finds a session by uid and a device code by user code", async () => {
    const { repo } = await store();
    await repo.upsert("Session", "session-id", { uid: "uid-1", accountId: "k1" }, 60);
    await repo.upsert("DeviceCode", "device-id", { userCode: "ABCD-EFGH" }, 60);
    expect(await repo.findByUid("Session", "uid-1")).toEqual({ uid: "uid-1", accountId: "k1" });
    expect(await repo.findByUid("Session", "uid-2")).toBeUndefined();
    expect(await repo.findByUserCode("DeviceCode", "ABCD-EFGH")).toEqual({ userCode: "ABCD-EFGH" });
  });

  it("revokes every object of a grant and leaves other grants alone", async () => {
    const { repo } = await store();
    await repo.upsert("AccessToken", "at-1", { grantId: "g1" }, 60);
    await repo.upsert("RefreshToken", "rt-1", { grantId: "g1" }, 60);
    await repo.upsert("RefreshToken", "rt-2", { grantId: "g2" }, 60);
    await repo.revokeByGrantId("g1");
    expect(await repo.find("AccessToken", "at-1")).toBeUndefined();
    expect(await repo.find("RefreshToken", "rt-1")).toBeUndefined();
    expect(await repo.find("RefreshToken", "rt-2")).toEqual({ grantId: "g2" });
  });

  it("treats an object sealed under another secret key as absent (the user signs in again)", async () => {
    const { repo, db } = await store();
    await repo.upsert("Client", "client-1", { client_id: "client-1" });
    const other = createRepositories(db, { secretKey: OTHER_SECRET }).oauthStore;
    expect(await other.find("Client", "client-1")).toBeUndefined();
  });

  it("refuses a payload moved to another row (the seal is bound to model and id)", async () => {
    const { repo, db } = await store();
    await repo.upsert("RefreshToken", "rt-victim", { accountId: "admin" }, 60);
    await repo.upsert("RefreshToken", "rt-attacker", { accountId: "mallory" }, 60);
    await db.client.execute(
      "UPDATE oauth_store SET payload = (SELECT payload FROM oauth_store WHERE payload != '' ORDER BY rowid LIMIT 1) WHERE rowid = (SELECT max(rowid) FROM oauth_store)",
    );
    expect(await repo.find("RefreshToken", "rt-attacker")).toBeUndefined();
  });

  it("lists live grants by account or client without tokens, and revokes one grant or every grant of an account", async () => {
    const { repo, clock } = await store();
    const grant = (jti: string, accountId: string, clientId: string, iat: number) =>
      repo.upsert(
        "Grant",
        jti,
        {
          jti,
          accountId,
          clientId,
          iat,
          exp: iat + 3600,
          kind: "Grant",
          resources: { "https://gw/mcp": "tools" },
        },
        3600,
      );
    await grant("g1", "key-a", "client-1", 100);
    await grant("g2", "key-a", "client-2", 200);
    await grant("g3", "key-b", "client-1", 300);
    await repo.upsert("RefreshToken", REFRESH_TOKEN, { grantId: "g1" }, 60);
    await repo.upsert("RefreshToken", "rt-g3", { grantId: "g3" }, 60);
    expect((await repo.listGrants()).map((g) => g.grantId)).toEqual(["g3", "g2", "g1"]);
    expect(await repo.listGrants({ accountId: "key-a", clientId: "client-1" })).toEqual([
      {
        grantId: "g1",
        accountId: "key-a",
        clientId: "client-1",
        scopes: { "https://gw/mcp": "tools" },
        createdAt: new Date(100_000),
        expiresAt: new Date(3_700_000),
      },
    ]);
    expect(await repo.revokeGrant("g1")).toBe(true);
    expect(await repo.revokeGrant("g1")).toBe(false);
    expect(await repo.find("RefreshToken", REFRESH_TOKEN)).toBeUndefined();
    expect(await repo.revokeGrantsOfAccount("key-a")).toBe(1);
    expect((await repo.listGrants()).map((g) => g.grantId)).toEqual(["g3"]);
    expect(await repo.find("RefreshToken", "rt-g3")).toBeDefined();
    clock.advance(3_601_000);
    expect(await repo.listGrants()).toEqual([]);
  });
});
