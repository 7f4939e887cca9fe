import { describe, expect, it } from "vitest";
import {
  declarationOfEntry,
  entryOfDeclaration,
  McpServerConfigSchema,
  McpServerEntrySchema,
} from "../src/server-config.js";

describe("McpServerEntrySchema and the stored shape", () => {
  it("declares a stdio entry in the stored shape, with only the timeouts it sets", () => {
    const entry = McpServerEntrySchema.parse({ command: "npx", args: ["-y", "x"], requestTimeoutMs: 5000 });
    expect(declarationOfEntry("files", entry)).toEqual({
      name: "files",
      transport: "stdio",
      command: "npx",
      args: ["-y", "x"],
      env: {},
      enabled: true,
      requestTimeoutMs: 5000,
    });
  });

  it("reads every client's spelling of a remote type, and sse as sse", () => {
    for (const type of [undefined, "http", "streamable-http", "streamableHttp"]) {
      const entry = McpServerEntrySchema.parse({
        url: "https://mcp.example.com/mcp",
        ...(type ? { type } : {}),
      });
      expect(declarationOfEntry("docs", entry)).toMatchObject({
        transport: "http",
        enabled: true,
        headers: {},
      });
    }
    const sse = McpServerEntrySchema.parse({
      url: "https://mcp.example.com/sse",
      type: "sse",
      disabled: true,
    });
    expect(declarationOfEntry("old", sse)).toMatchObject({ transport: "sse", enabled: false });
  });

  it("goes back to the entry a config file holds, and a stored config round-trips through it", () => {
    const stored = McpServerConfigSchema.parse({
      name: "docs",
      transport: "http",
      url: "https://mcp.example.com/mcp",
      headers: { Authorization: "Bearer token-1" },
      enabled: false,
    });
    const entry = entryOfDeclaration(stored);
    expect(entry).toEqual({
      type: "http",
      url: "https://mcp.example.com/mcp",
      headers: { Authorization: "Bearer token-1" },
      disabled: true,
      connectTimeoutMs: 10_000,
      requestTimeoutMs: 60_000,
    });
    expect(declarationOfEntry("docs", McpServerEntrySchema.parse(entry))).toEqual(stored);
  });

  it.each([
    [{ command: "  " }, "command", "a stdio server needs a command"],
    [{ command: "x", cwd: "" }, "cwd", "cwd must not be empty"],
    [{ command: "x", env: { "1BAD": "v" } }, "env.1BAD", "must be a valid environment variable name"],
    [{ url: "ftp://x.example.com" }, "url", "url must be an http:// or https:// URL"],
    [
      { url: "https://x.example.com", headers: { "a b": "v" } },
      "headers.a b",
      "must be a valid HTTP header name",
    ],
    [{ url: "https://x.example.com", type: "ws" }, "", "expected either a command"],
    [
      { command: "x", connectTimeoutMs: 99 },
      "connectTimeoutMs",
      "connectTimeoutMs must be at least 100 (ms)",
    ],
    [{ command: "x", requestTimeoutMs: 1.5 }, "requestTimeoutMs", "whole number of milliseconds"],
  ])("refuses %j at '%s' with the stored schema's message", (entry, path, message) => {
    const result = McpServerEntrySchema.safeParse(entry);
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.path.join(".")).toBe(path);
    expect(issue?.message).toContain(message);
  });

  it("refuses the same field values in the stored shape with the same messages", () => {
    const stored = McpServerConfigSchema.safeParse({
      name: "a",
      transport: "stdio",
      command: "x",
      env: { "1BAD": "v" },
      connectTimeoutMs: 99,
    });
    expect(stored.error?.issues.map((issue) => [issue.path.join("."), issue.message])).toEqual([
      ["connectTimeoutMs", "connectTimeoutMs must be at least 100 (ms)"],
      ["env.1BAD", "must be a valid environment variable name"],
    ]);
  });
});
