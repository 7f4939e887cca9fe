import { describe, expect, it } from "vitest";
import { toolAllowed, toolPatternMatches } from "../src/policy/tool-patterns.js";

describe("tool patterns", () => {
  it("matches globs over namespaced names", () => {
    expect(toolPatternMatches("github__*", "github__create_issue")).toBe(true);
    expect(toolPatternMatches("github__*", "gitlab__create_issue")).toBe(false);
    expect(toolPatternMatches("*__echo", "everything__echo")).toBe(true);
    expect(toolPatternMatches("fs__read_?", "fs__read_a")).toBe(true);
    expect(toolPatternMatches("fs__read_?", "fs__read_ab")).toBe(false);
  });

  it("treats regex characters in patterns literally", () => {
    expect(toolPatternMatches("a.b", "axb")).toBe(false);
    expect(toolPatternMatches("a.b", "a.b")).toBe(true);
  });

  it("allows every tool when a key has no patterns and only matching tools otherwise", () => {
    expect(toolAllowed(null, "x__y")).toBe(true);
    expect(toolAllowed([], "x__y")).toBe(true);
    expect(toolAllowed(["a__*", "b__one"], "b__one")).toBe(true);
    expect(toolAllowed(["a__*", "b__one"], "b__two")).toBe(false);
  });
});
