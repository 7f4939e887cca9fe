import { describe, expect, it } from "vitest";
import { isSecretKeyName, redactArguments } from "../src/index.js";

describe("redactArguments", () => {
  it("hides values under secret-looking key names at any depth and keeps the rest", () => {
    const input = {
      token: "a",
      accessToken: "b",
      "x-api-key": "c",
      API_KEY: "d",
      Authorization: "e",
      password: "f",
      db: { connection: { passwd: "g", host: "h" } },
      list: [{ client_secret: "i" }, "plain"],
      cookie: "j",
      author: "keeps",
      keyboard: "keeps",
    };
    expect(redactArguments(input)).toEqual({
      token: "[REDACTED]",
      accessToken: "[REDACTED]",
      "x-api-key": "[REDACTED]",
      API_KEY: "[REDACTED]",
      Authorization: "[REDACTED]",
      password: "[REDACTED]",
      db: { connection: { passwd: "[REDACTED]", host: "h" } },
      list: [{ client_secret: "[REDACTED]" }, "plain"],
      cookie: "[REDACTED]",
      author: "keeps",
      keyboard: "keeps",
    });
  });

  it("hides Waygate keys and bearer credentials pasted into free text", () => {
    const key = `wg_abcdefghijkl_${"Z".repeat(43)}`;
    expect(redactArguments({ note: `use ${key} please`, header: "Bearer abcdefghijklmnop" })).toEqual({
      note: "use [REDACTED] please",
      header: "[REDACTED]",
    });
  });

  it("honours extra key names", () => {
    expect(redactArguments({ ssn: "123", name: "x" }, { extraKeys: ["SSN"] })).toEqual({
      ssn: "[REDACTED]",
      name: "x",
    });
  });

  it("copies without changing the input and survives cycles, bigints and binary data", () => {
    const input: Record<string, unknown> = {
      token: "t",
      n: 10n,
      bytes: new Uint8Array(4),
      when: new Date(0),
    };
    input.self = input;
    const output = redactArguments(input) as Record<string, unknown>;
    expect(input.token).toBe("t");
    expect(output).toEqual({
      token: "[REDACTED]",
      n: "10",
      bytes: "[Binary 4 bytes]",
      when: "1970-01-01T00:00:00.000Z",
      self: "[Circular]",
    });
  });

  it("replaces values over maxBytes with a marker that fits within maxBytes", () => {
    const big = { items: Array.from({ length: 500 }, (_, i) => ({ id: i, quote: 'say "hi"' })) };
    for (const maxBytes of [64, 200, 1024]) {
      const capped = redactArguments(big, { maxBytes }) as { "[truncated]": boolean; originalBytes: number };
      expect(capped["[truncated]"]).toBe(true);
      expect(capped.originalBytes).toBe(Buffer.byteLength(JSON.stringify(big)));
      expect(Buffer.byteLength(JSON.stringify(capped))).toBeLessThanOrEqual(maxBytes);
    }
    expect(redactArguments({ small: 1 }, { maxBytes: 1024 })).toEqual({ small: 1 });
  });
});

describe("isSecretKeyName", () => {
  it("recognises common spellings of secrets and leaves ordinary names alone", () => {
    for (const name of [
      "token",
      "refresh_token",
      "apiKey",
      "api-key",
      "SECRET",
      "Proxy-Authorization",
      "pwd",
    ]) {
      expect(isSecretKeyName(name)).toBe(true);
    }
    for (const name of ["author", "name", "path", "query", "monkey"]) {
      expect(isSecretKeyName(name)).toBe(false);
    }
  });
});
