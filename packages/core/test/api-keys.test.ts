import { describe, expect, it } from "vitest";
import { createKeyHasher, generateApiKey } from "../src/api-keys/key-format.js";
import {
  createDatabase,
  createRepositories,
  InvalidInputError,
  NotFoundError,
  SecretKeyError,
  toolPatternMatches,
} from "../src/index.js";
import { manualClock, rejectionOf, SECRET, useTempDirs } from "./helpers.js";

const temp = useTempDirs();

describe("apiKeys.create", () => {
  it("returns a wg_ key with 32 random bytes once, and stores only a keyed hash", async () => {
    const db = await temp.db();
    const { apiKeys } = createRepositories(db, { secretKey: SECRET });
    const { key, plaintext } = await apiKeys.create({
      name: "ci",
      scopes: ["tools:call"],
      toolPatterns: ["github__*"],
      rateLimitPerMinute: 120,
    });
    expect(plaintext).toMatch(/^wg_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(plaintext.slice(16), "base64url")).toHaveLength(32);
    expect(plaintext.startsWith(key.prefix)).toBe(true);
    expect(key).toMatchObject({
      name: "ci",
      scopes: ["tools:call"],
      toolPatterns: ["github__*"],
      rateLimitPerMinute: 120,
      revokedAt: null,
      expiresAt: null,
      lastUsedAt: null,
    });
    expect(Object.keys(key)).not.toContain("hash");
    const stored = await db.client.execute("SELECT * FROM api_keys");
    const rowText = JSON.stringify(stored.rows);
    expect(rowText).not.toContain(plaintext);
    expect(rowText).not.toContain(plaintext.slice(16));
    expect(String(stored.rows[0]?.key_hash)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("gives every key a distinct prefix and id", async () => {
    const { apiKeys } = createRepositories(await temp.db(), { secretKey: SECRET });
    const made = await Promise.all(
      Array.from({ length: 20 }, (_, i) => apiKeys.create({ name: `k${i}`, scopes: [] })),
    );
    expect(new Set(made.map((m) => m.key.prefix)).size).toBe(20);
    expect(new Set(made.map((m) => m.key.id)).size).toBe(20);
    expect(await apiKeys.count()).toBe(20);
  });

  it("defaults tool patterns to every tool and records a system event", async () => {
    const repos = createRepositories(await temp.db(), { secretKey: SECRET });
    const { key } = await repos.apiKeys.create({ name: "all", scopes: [] });
    expect(key.toolPatterns).toEqual(["*"]);
    const events = await repos.systemEvents.list({ type: "api_key.created" });
    expect(events.items[0]?.details).toEqual({ id: key.id, prefix: key.prefix });
    expect(events.items[0]?.message).toBe('API key "all" created');
  });

  it("rejects bad input with every problem named, and stores nothing", async () => {
    const { apiKeys } = createRepositories(await temp.db(), { secretKey: SECRET });
    const error = await apiKeys
      .create({ name: " ", scopes: ["has space"], rateLimitPerMinute: 0, toolPatterns: [] })
      .catch((e) => e);
    expect(InvalidInputError.isInstance(error)).toBe(true);
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.issues.map((issue: { path: string }) => issue.path).sort()).toEqual(
      ["name", "rateLimitPerMinute", "scopes.0", "toolPatterns"].sort(),
    );
    expect(error.message).toMatch(/^Invalid API key: /);
    expect(await apiKeys.count()).toBe(0);
  });

  it("rejects an expiry at the current millisecond, naming expiresAt", async () => {
    const clock = manualClock();
    const { apiKeys } = createRepositories(await temp.db(), { secretKey: SECRET, clock: clock.now });
    const error = await apiKeys
      .create({ name: "now", scopes: [], expiresAt: new Date(clock.now()) })
      .catch((e) => e);
    expect(InvalidInputError.isInstance(error)).toBe(true);
    expect(error.issues).toEqual([{ path: "expiresAt", message: "must be in the future" }]);
    expect(await apiKeys.count()).toBe(0);
  });

  it("rejects an expiry in the past", async () => {
    const { apiKeys } = createRepositories(await temp.db(), { secretKey: SECRET });
    const error = await apiKeys
      .create({ name: "old", scopes: [], expiresAt: new Date(Date.now() - 1000) })
      .catch((e) => e);
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain("expiresAt is in the past");
  });
});

describe("apiKeys.verify", () => {
  it("accepts the key it created and returns its record", async () => {
    const { apiKeys } = createRepositories(await temp.db(), { secretKey: SECRET });
    const { key, plaintext } = await apiKeys.create({ name: "ok", scopes: ["admin"] });
    const result = await apiKeys.verify(plaintext);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.key).toMatchObject({ id: key.id, scopes: ["admin"] });
  });

  it("calls text that is not a Waygate key malformed", async () => {
    const { apiKeys } = createRepositories(await temp.db(), { secretKey: SECRET });
    const { plaintext } = await apiKeys.create({ name: "x", scopes: [] });
    for (const bad of [
      "",
      "Bearer abc",
      "wg_short",
      `${plaintext}x`,
      ` ${plaintext}`,
      42 as unknown as string,
      // What a JSON body could carry: an array would turn into the key itself if it were coerced to a string.
      [plaintext] as unknown as string,
      { toString: () => plaintext } as unknown as string,
    ]) {
      expect(await apiKeys.verify(bad)).toEqual({ ok: false, reason: "malformed" });
    }
  });

  it("calls a well-formed key that was never issued unknown, including a right prefix with a wrong secret", async () => {
    const { apiKeys } = createRepositories(await temp.db(), { secretKey: SECRET });
    const { plaintext } = await apiKeys.create({ name: "x", scopes: [] });
    const forged = `${plaintext.slice(0, 16)}${"A".repeat(43)}`;
    expect(await apiKeys.verify(forged)).toEqual({ ok: false, reason: "unknown" });
    expect(await apiKeys.verify(`wg_aaaaaaaaaaaa_${"B".repeat(43)}`)).toEqual({
      ok: false,
      reason: "unknown",
    });
  });

  it("does not accept keys when the server secret changes", async () => {
    const db = await temp.db();
    const { plaintext } = await createRepositories(db, { secretKey: SECRET }).apiKeys.create({
      name: "x",
      scopes: [],
    });
    const other = createRepositories(db, { secretKey: `${SECRET}-rotated` });
    expect(await other.apiKeys.verify(plaintext)).toEqual({ ok: false, reason: "unknown" });
  });

  it("sees a revocation made through the same repositories at once, even for a key it just verified", async () => {
    const repos = createRepositories(await temp.db(), { secretKey: SECRET });
    const { key, plaintext } = await repos.apiKeys.create({ name: "soon revoked", scopes: [] });
    expect((await repos.apiKeys.verify(plaintext)).ok).toBe(true);
    const revoked = await repos.apiKeys.revoke(key.id);
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    expect(await repos.apiKeys.verify(plaintext)).toEqual({ ok: false, reason: "revoked", keyId: key.id });

    const again = await repos.apiKeys.revoke(key.id);
    expect(again.revokedAt).toEqual(revoked.revokedAt);
    const events = await repos.systemEvents.list({ type: "api_key.revoked" });
    expect(events.items).toHaveLength(1);
    expect(events.items[0]?.details).toEqual({ id: key.id, prefix: key.prefix });
  });

  it("sees a revocation made through another connection at once when the verify cache is off", async () => {
    const db = await temp.db();
    const repos = createRepositories(db, { secretKey: SECRET, apiKeyCacheMs: 0 });
    const other = createRepositories(temp.track(await createDatabase({ url: db.url })), {
      secretKey: SECRET,
    });
    const { key, plaintext } = await repos.apiKeys.create({ name: "k", scopes: [] });
    expect((await repos.apiKeys.verify(plaintext)).ok).toBe(true);
    await other.apiKeys.revoke(key.id);
    expect(await repos.apiKeys.verify(plaintext)).toEqual({ ok: false, reason: "revoked", keyId: key.id });
  });

  it("reuses a verified key's row for apiKeyCacheMs: another connection's revocation shows only after the window", async () => {
    const clock = manualClock();
    const db = await temp.db();
    const repos = createRepositories(db, { secretKey: SECRET, clock: clock.now, apiKeyCacheMs: 1000 });
    const other = createRepositories(temp.track(await createDatabase({ url: db.url })), {
      secretKey: SECRET,
    });
    const { key, plaintext } = await repos.apiKeys.create({ name: "k", scopes: [] });
    expect((await repos.apiKeys.verify(plaintext)).ok).toBe(true);
    await other.apiKeys.revoke(key.id);
    expect((await repos.apiKeys.verify(plaintext)).ok).toBe(true);
    clock.advance(999);
    expect((await repos.apiKeys.verify(plaintext)).ok).toBe(true);
    clock.advance(1);
    expect(await repos.apiKeys.verify(plaintext)).toEqual({ ok: false, reason: "revoked", keyId: key.id });
  });

  it("reads a key's row again when the clock has stepped back since it was read, with or without the cache", async () => {
    for (const apiKeyCacheMs of [0, 60_000]) {
      const clock = manualClock();
      const db = await temp.db();
      const repos = createRepositories(db, { secretKey: SECRET, clock: clock.now, apiKeyCacheMs });
      const other = createRepositories(temp.track(await createDatabase({ url: db.url })), {
        secretKey: SECRET,
      });
      const { key, plaintext } = await repos.apiKeys.create({ name: "k", scopes: [] });
      expect((await repos.apiKeys.verify(plaintext)).ok).toBe(true);
      await other.apiKeys.revoke(key.id);
      clock.advance(-3_600_000);
      expect(await repos.apiKeys.verify(plaintext), `apiKeyCacheMs ${apiKeyCacheMs}`).toEqual({
        ok: false,
        reason: "revoked",
        keyId: key.id,
      });
    }
  });

  it("keeps at most 10,000 verified keys, dropping the one read first", async () => {
    const clock = manualClock();
    const db = await temp.db();
    const repos = createRepositories(db, { secretKey: SECRET, clock: clock.now, apiKeyCacheMs: 60_000 });
    const other = createRepositories(temp.track(await createDatabase({ url: db.url })), {
      secretKey: SECRET,
    });
    // 10,001 keys written in one statement (creating them one by one would take a while); last used now, so that
    // verifying them writes nothing.
    const hash = createKeyHasher(SECRET);
    const keys = Array.from({ length: 10_001 }, (_, i) => ({ id: `key-${i}`, ...generateApiKey() }));
    await db.client.execute({
      sql: `INSERT INTO api_keys (id, name, prefix, key_hash, created_at, last_used_at)
        SELECT value ->> 0, value ->> 0, value ->> 1, value ->> 2, ?, ? FROM json_each(?)`,
      args: [
        clock.now(),
        clock.now(),
        JSON.stringify(keys.map((k) => [k.id, k.prefix, hash(k.plaintext).toString("hex")])),
      ],
    });
    for (const k of keys) expect((await repos.apiKeys.verify(k.plaintext)).ok).toBe(true);
    await other.apiKeys.revoke("key-0");
    await other.apiKeys.revoke("key-1");
    // key-1 is still held; key-0 was dropped when key-10000 came in, so its revocation shows at once.
    expect((await repos.apiKeys.verify(keys[1]!.plaintext)).ok).toBe(true);
    expect(await repos.apiKeys.verify(keys[0]!.plaintext)).toEqual({
      ok: false,
      reason: "revoked",
      keyId: "key-0",
    });
  });

  it("calls a key past its expiry expired", async () => {
    const clock = manualClock();
    const { apiKeys } = createRepositories(await temp.db(), { secretKey: SECRET, clock: clock.now });
    const { key, plaintext } = await apiKeys.create({
      name: "short",
      scopes: [],
      expiresAt: new Date(clock.now() + 60_000),
    });
    expect((await apiKeys.verify(plaintext)).ok).toBe(true);
    clock.advance(60_000);
    expect(await apiKeys.verify(plaintext)).toEqual({ ok: false, reason: "expired", keyId: key.id });
  });

  it("writes last_used_at at most once a minute per key", async () => {
    const clock = manualClock();
    const db = await temp.db();
    const { apiKeys } = createRepositories(db, { secretKey: SECRET, clock: clock.now });
    const { key, plaintext } = await apiKeys.create({ name: "busy", scopes: [] });
    const stored = async () =>
      Number(
        (await db.client.execute({ sql: "SELECT last_used_at FROM api_keys WHERE id = ?", args: [key.id] }))
          .rows[0]?.[0],
      );
    const first = clock.now();
    await apiKeys.verify(plaintext);
    expect(await stored()).toBe(first);
    clock.advance(59_000);
    const second = await apiKeys.verify(plaintext);
    expect(second.ok && second.key.lastUsedAt?.getTime()).toBe(first);
    expect(await stored()).toBe(first);
    clock.advance(1_000);
    await apiKeys.verify(plaintext);
    expect(await stored()).toBe(first + 60_000);
  });
});

describe("apiKeys last use across replicas", () => {
  it("does not write last_used_at again when another replica wrote it within the minute", async () => {
    const clock = manualClock();
    const db = await temp.db();
    // Replica B holds the row it read at the start for two minutes; replica A reads afresh.
    const b = createRepositories(db, { secretKey: SECRET, clock: clock.now, apiKeyCacheMs: 120_000 });
    const a = createRepositories(temp.track(await createDatabase({ url: db.url })), {
      secretKey: SECRET,
      clock: clock.now,
      apiKeyCacheMs: 0,
    });
    const { key, plaintext } = await a.apiKeys.create({ name: "shared", scopes: [] });
    const start = clock.now();
    await b.apiKeys.verify(plaintext);
    clock.advance(60_000);
    await a.apiKeys.verify(plaintext);
    clock.advance(500);
    // B's held row says the key was last used at the start, more than a minute ago, but A wrote it 500 ms ago.
    await b.apiKeys.verify(plaintext);
    const stored = await db.client.execute({
      sql: "SELECT last_used_at FROM api_keys WHERE id = ?",
      args: [key.id],
    });
    expect(Number(stored.rows[0]?.[0])).toBe(start + 60_000);
  });
});

describe("apiKeys database failures", () => {
  it("names what it was doing when the database fails", async () => {
    const db = await temp.db();
    const { apiKeys } = createRepositories(db, { secretKey: SECRET });
    const { plaintext } = await apiKeys.create({ name: "k", scopes: [] });
    await db.client.execute(
      "CREATE TRIGGER no_last_use BEFORE UPDATE OF last_used_at ON api_keys BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END",
    );
    expect((await rejectionOf(apiKeys.verify(plaintext))).message).toContain("(while recording API key use)");
    // The failed write is tried again on the next use.
    await db.client.execute("DROP TRIGGER no_last_use");
    expect((await apiKeys.verify(plaintext)).ok).toBe(true);
    const stored = await db.client.execute("SELECT last_used_at FROM api_keys");
    expect(stored.rows[0]?.[0]).not.toBeNull();
    await db.client.execute("DROP TABLE api_keys");
    const failures = {
      "creating an API key": () => apiKeys.create({ name: "k2", scopes: [] }),
      "verifying an API key": () => apiKeys.verify(generateApiKey().plaintext),
      "revoking an API key": () => apiKeys.revoke("some-id"),
      "listing API keys": () => apiKeys.list(),
      "reading an API key": () => apiKeys.get("some-id"),
      "counting API keys": () => apiKeys.count({ activeOnly: true }),
    };
    for (const [action, failure] of Object.entries(failures)) {
      const error = await rejectionOf(failure());
      expect(error.code, action).toBe("DATABASE_ERROR");
      expect(error.message, action).toContain(`(while ${action})`);
      expect(error.message, action).toContain("no such table: api_keys");
    }
  });
});

describe("apiKeys listing", () => {
  it("lists, gets and counts keys without any secret material", async () => {
    const db = await temp.db();
    const { apiKeys } = createRepositories(db, { secretKey: SECRET });
    const a = await apiKeys.create({ name: "a", scopes: [] });
    const b = await apiKeys.create({ name: "b", scopes: [] });
    await apiKeys.revoke(a.key.id);
    const all = await apiKeys.list();
    expect(all.map((k) => k.name).sort()).toEqual(["a", "b"]);
    expect((await apiKeys.list({ activeOnly: true })).map((k) => k.name)).toEqual(["b"]);
    expect(await apiKeys.count()).toBe(2);
    expect(await apiKeys.count({ activeOnly: true })).toBe(1);
    expect(await apiKeys.get(b.key.id)).toEqual(b.key);
    expect(await apiKeys.get("nope")).toBeNull();
    const hashes = (await db.client.execute("SELECT key_hash FROM api_keys")).rows.map((row) =>
      String(row.key_hash),
    );
    const shown = JSON.stringify(all);
    for (const secret of [a.plaintext, b.plaintext, ...hashes]) expect(shown).not.toContain(secret);
  });

  it("counts and lists a key as active until the millisecond it expires, then as inactive", async () => {
    const clock = manualClock();
    const { apiKeys } = createRepositories(await temp.db(), { secretKey: SECRET, clock: clock.now });
    await apiKeys.create({ name: "lasting", scopes: [] });
    await apiKeys.create({ name: "brief", scopes: [], expiresAt: new Date(clock.now() + 1_000) });
    const active = async () => ({
      count: await apiKeys.count({ activeOnly: true }),
      names: (await apiKeys.list({ activeOnly: true })).map((k) => k.name).sort(),
    });
    clock.advance(999);
    expect(await active()).toEqual({ count: 2, names: ["brief", "lasting"] });
    clock.advance(1);
    expect(await active()).toEqual({ count: 1, names: ["lasting"] });
    expect(await apiKeys.count()).toBe(2);
    const all = await apiKeys.list();
    expect(all.map((k) => [k.name, k.expiresAt])).toEqual([
      ["brief", new Date(Date.parse("2026-01-01T00:00:01Z"))],
      ["lasting", null],
    ]);
  });

  it("lists keys newest first, in creation order even within one millisecond", async () => {
    const clock = manualClock();
    const { apiKeys } = createRepositories(await temp.db(), { secretKey: SECRET, clock: clock.now });
    for (const name of ["first", "second", "third"]) await apiKeys.create({ name, scopes: [] });
    expect((await apiKeys.list()).map((k) => k.name)).toEqual(["third", "second", "first"]);
  });

  it("fails to revoke an id that does not exist with NotFoundError", async () => {
    const { apiKeys } = createRepositories(await temp.db(), { secretKey: SECRET });
    const error = await apiKeys.revoke("missing-id").catch((e) => e);
    expect(NotFoundError.isInstance(error)).toBe(true);
    expect(error.code).toBe("NOT_FOUND");
    expect(error.message).toContain('"missing-id"');
  });
});

describe("createRepositories secret key", () => {
  it("refuses a missing or short WAYGATE_SECRET_KEY with advice", async () => {
    const db = await temp.db();
    for (const secretKey of ["", "short"]) {
      const error = (() => {
        try {
          createRepositories(db, { secretKey });
        } catch (e) {
          return e as SecretKeyError;
        }
      })();
      expect(SecretKeyError.isInstance(error)).toBe(true);
      expect(error?.code).toBe("SECRET_KEY_INVALID");
      expect(error?.message).toMatch(/WAYGATE_SECRET_KEY must be at least 32 characters/);
    }
  });
});

describe("toolPatternMatches", () => {
  it("matches exact names, * alone and wildcards inside names", () => {
    expect(toolPatternMatches("*", "anything")).toBe(true);
    expect(toolPatternMatches("github__*", "github__create_issue")).toBe(true);
    expect(toolPatternMatches("github__*", "gitlab__create_issue")).toBe(false);
    expect(toolPatternMatches("*__read_*", "fs__read_file")).toBe(true);
    expect(toolPatternMatches("echo", "echo")).toBe(true);
    expect(toolPatternMatches("echo", "echo2")).toBe(false);
    expect(toolPatternMatches("a.b", "axb")).toBe(false);
  });
});
