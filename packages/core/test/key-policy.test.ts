import { describe, expect, it } from "vitest";
import { applyKeyPolicy, KeyPolicySchema } from "../src/key-policy.js";

const knownScopes = ["tools:list", "tools:call", "admin", "metrics:read"];
const now = new Date("2026-01-01T00:00:00Z");
const DAY_MS = 86_400_000;
const policy = (input: unknown = {}) => KeyPolicySchema.parse(input);

describe("applyKeyPolicy (the one key policy of the CLI and the admin API)", () => {
  it("fills in the policy's defaults for fields the request leaves out", () => {
    const result = applyKeyPolicy(
      policy({ defaultScopes: ["tools:list"], defaultToolPatterns: ["gh__*"], defaultRateLimitPerMinute: 5 }),
      {},
      { knownScopes, now },
    );
    expect(result).toEqual({
      ok: true,
      key: { scopes: ["tools:list"], toolPatterns: ["gh__*"], rateLimitPerMinute: 5, expiresAt: null },
    });
  });

  it("refuses scopes the gateway does not check, listing the ones it does", () => {
    const result = applyKeyPolicy(policy(), { scopes: ["tools:call", "root", "*"] }, { knownScopes, now });
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          field: "scopes",
          unknown: ["root", "*"],
          message: 'unknown scope(s) "root", "*": use tools:list, tools:call, admin, metrics:read',
        },
      ],
    });
  });

  it("refuses a key without an expiry when maxExpiresInDays is set, giving the latest allowed expiry", () => {
    const result = applyKeyPolicy(policy({ maxExpiresInDays: 30 }), {}, { knownScopes, now });
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          field: "expiresAt",
          message: "the key policy requires an expiry of at most 30 days",
          latestExpiry: new Date(now.getTime() + 30 * DAY_MS),
          maxExpiresInDays: 30,
        },
      ],
    });
  });

  it("refuses an expiry past maxExpiresInDays and accepts one exactly at it", () => {
    const over = applyKeyPolicy(
      policy({ maxExpiresInDays: 30 }),
      { expiresAt: new Date(now.getTime() + 31 * DAY_MS) },
      { knownScopes, now },
    );
    expect(over.ok ? undefined : over.issues[0]?.message).toBe(
      "the key policy allows keys for at most 30 days",
    );
    const edge = applyKeyPolicy(
      policy({ maxExpiresInDays: 30 }),
      { expiresAt: new Date(now.getTime() + 30 * DAY_MS) },
      { knownScopes, now },
    );
    expect(edge.ok).toBe(true);
  });

  it("refuses an expiry that has already passed, with or without a policy limit", () => {
    const result = applyKeyPolicy(policy(), { expiresAt: new Date(now.getTime() - 1) }, { knownScopes, now });
    expect(result.ok ? undefined : result.issues[0]?.message).toBe("the expiry must be in the future");
  });
});
