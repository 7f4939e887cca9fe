import { describe, expect, it } from "vitest";
import { HostVersionError, satisfiesVersionRange } from "../src/index.js";

describe("satisfiesVersionRange", () => {
  it.each([
    ["1.2.3", "^1.0.0", true],
    ["2.0.0", "^1.0.0", false],
    ["0.2.5", "^0.2.0", true],
    ["0.3.0", "^0.2.0", false],
    ["1.2.9", "~1.2.0", true],
    ["1.3.0", "~1.2.0", false],
    ["1.5.0", ">=1.0.0 <2.0.0", true],
    ["2.0.0", ">=1.0.0 <2.0.0", false],
    ["3.1.0", "^1.0.0 || ^3.0.0", true],
    ["9.9.9", "*", true],
  ])("%s in %s is %s", (version, range, expected) => {
    expect(satisfiesVersionRange(version, range)).toBe(expected);
  });

  it("rejects a range it cannot read with a HostVersionError", () => {
    expect(() => satisfiesVersionRange("1.0.0", "latest")).toThrow(HostVersionError);
    expect(() => satisfiesVersionRange("banana", "*")).toThrow(
      "Host version 'banana' is not a semver version",
    );
  });
});
