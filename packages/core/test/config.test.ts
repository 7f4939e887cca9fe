import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigValidationError, createRepositories, defineConfig } from "../src/index.js";
import { rejectionOf, SECRET, useTempDirs } from "./helpers.js";

const temp = useTempDirs();

describe("config repository", () => {
  it("returns defaults until a value is set, then the stored value with its type", async () => {
    const db = await temp.db();
    const { config } = createRepositories(db, { secretKey: SECRET });
    expect(await config.get("rateLimit.defaultPerMinute")).toBe(600);
    expect(await config.set("rateLimit.defaultPerMinute", 300)).toBe(300);
    expect(await config.get("rateLimit.defaultPerMinute")).toBe(300);
    await config.set("cors.origins", ["https://app.example.com"]);
    const row = await db.client.execute(
      "SELECT value, type, description FROM config WHERE key = 'cors.origins'",
    );
    expect(row.rows[0]).toMatchObject({ value: '["https://app.example.com"]', type: "json" });
    const listed = await config.list();
    expect(listed.find((entry) => entry.key === "rateLimit.defaultPerMinute")).toMatchObject({
      value: 300,
      type: "number",
      isDefault: false,
    });
    expect(listed.find((entry) => entry.key === "gateway.name")).toMatchObject({
      value: "waygate",
      isDefault: true,
    });
    expect(await config.reset("rateLimit.defaultPerMinute")).toBe(true);
    expect(await config.get("rateLimit.defaultPerMinute")).toBe(600);
  });

  it("rejects a value of the wrong type on write, naming the key, and keeps the old value", async () => {
    const { config } = createRepositories(await temp.db(), { secretKey: SECRET });
    await config.set("audit.retentionDays", 7);
    const error = await config.set("audit.retentionDays", "ninety" as unknown as number).catch((e) => e);
    expect(ConfigValidationError.isInstance(error)).toBe(true);
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain('Invalid value for setting "audit.retentionDays"');
    expect(error.issues[0].path).toBe("audit.retentionDays");
    const outOfRange = await config.set("audit.retentionDays", 0).catch((e) => e);
    expect(outOfRange.code).toBe("CONFIG_INVALID");
    expect(await config.get("audit.retentionDays")).toBe(7);
  });

  it("rejects an unknown key, listing the known ones", async () => {
    const { config } = createRepositories(await temp.db(), { secretKey: SECRET });
    const error = await rejectionOf(config.setFromInput("no.such.key", 1));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain('Unknown setting "no.such.key"');
    expect(error.message).toContain("rateLimit.defaultPerMinute");
  });

  it("accepts JSON text for non-string settings from untyped input", async () => {
    const { config } = createRepositories(await temp.db(), { secretKey: SECRET });
    expect(await config.setFromInput("mcp.autoInitialize", "false")).toBe(false);
    expect(await config.setFromInput("rateLimit.defaultPerMinute", "90")).toBe(90);
    expect(await config.setFromInput("gateway.name", "edge-1")).toBe("edge-1");
    const error = await rejectionOf(config.setFromInput("rateLimit.defaultPerMinute", "lots"));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(await config.get("rateLimit.defaultPerMinute")).toBe(90);
  });

  it("refuses to hand back a stored value that no longer matches its schema", async () => {
    const db = await temp.db();
    await db.client.execute(
      "INSERT INTO config (key, value, type, updated_at) VALUES ('rateLimit.defaultPerMinute', '\"many\"', 'string', 0)",
    );
    const { config } = createRepositories(db, { secretKey: SECRET });
    const error = await config.get("rateLimit.defaultPerMinute").catch((e) => e);
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toMatch(/stored value .* is no longer valid; set it again/);
  });

  it("supports a service's own typed settings", async () => {
    const definitions = defineConfig({
      "billing.plan": { schema: z.enum(["free", "team"]), description: "Plan", default: "free" },
    });
    const { config } = createRepositories(await temp.db(), {
      secretKey: SECRET,
      configDefinitions: definitions,
    });
    expect(await config.get("billing.plan")).toBe("free");
    await config.set("billing.plan", "team");
    expect(await config.get("billing.plan")).toBe("team");
  });
});
