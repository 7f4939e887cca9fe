import { describe, expect, it } from "vitest";
import { createNameTable, NAME_PATTERN, namespacedName } from "../src/routing/naming.js";

describe("namespacedName", () => {
  it("joins server and tool with a double underscore", () => {
    expect(namespacedName("github", "create_issue")).toBe("github__create_issue");
  });

  it("shortens names over 64 characters deterministically, within the client name rule", () => {
    const long = "a".repeat(80);
    const first = namespacedName("server", long);
    expect(first).toHaveLength(64);
    expect(first).toMatch(NAME_PATTERN);
    expect(namespacedName("server", long)).toBe(first);
    expect(namespacedName("server", `${"a".repeat(79)}b`)).not.toBe(first);
  });

  it("replaces characters clients reject and adds a hash so the original stays distinguishable", () => {
    const dotted = namespacedName("fs", "read.file");
    expect(dotted).toMatch(NAME_PATTERN);
    expect(dotted).not.toBe(namespacedName("fs", "read_file"));
  });
});

describe("createNameTable", () => {
  it("resolves a shortened name back to its server and original name", () => {
    const table = createNameTable();
    const original = `tool_${"x".repeat(70)}`;
    const entry = table.add("srv", original);
    expect(entry?.shortened).toBe(true);
    expect(table.resolve(entry!.exposed)).toMatchObject({ server: "srv", original, shortened: true });
  });

  it("reports a collision instead of silently replacing the first entry", () => {
    const table = createNameTable();
    table.add("a", "b__c");
    // "a__b" + "__" + "c" exposes the same name as "a" + "__" + "b__c".
    const second = table.add("a__b", "c");
    expect(second).toBeUndefined();
    expect(table.collisions()).toEqual([
      {
        exposed: "a__b__c",
        kept: { server: "a", original: "b__c" },
        dropped: { server: "a__b", original: "c" },
      },
    ]);
    expect(table.resolve("a__b__c")).toMatchObject({ server: "a", original: "b__c" });
  });

  it("does not report the same tool added twice as a collision", () => {
    const table = createNameTable();
    table.add("s", "t");
    table.add("s", "t");
    expect(table.collisions()).toEqual([]);
    expect(table.entries()).toHaveLength(1);
  });
});
