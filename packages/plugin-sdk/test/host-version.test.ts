import { describe, expect, it } from "vitest";
import { assertHostVersionSupported, HostVersionError, satisfiesVersionRange } from "../src/index.js";

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

describe("assertHostVersionSupported", () => {
  it.each([
    ["0.0.0", ">=0.1.0 <1.0.0"],
    ["0.0.0", "^0.1.0"],
    ["0.0.0-snapshot-20261205", "^0.1.0"],
    ["0.1.0", ">=0.1.0 <1.0.0"],
    ["0.4.2", ">=0.1.0 <1.0.0"],
  ])("accepts host %s for a plugin declaring '%s'", (host, range) => {
    expect(() => assertHostVersionSupported("weather", range, host)).not.toThrow();
  });

  it("refuses an unreleased 0.0.0 host for a plugin written for a later line, saying what it was checked as", () => {
    expect(() => assertHostVersionSupported("weather", "^0.2.0", "0.0.0")).toThrow(
      "Plugin 'weather' supports host versions '^0.2.0' but this host is 0.0.0 (an unreleased build, checked as 0.1.0)",
    );
    expect(() => assertHostVersionSupported("weather", ">=1.0.0", "0.0.0")).toThrow(HostVersionError);
  });

  it("treats only 0.0.0 as unreleased: a released 0.0.1 host is checked as itself", () => {
    expect(() => assertHostVersionSupported("weather", ">=0.1.0 <1.0.0", "0.0.1")).toThrow(
      "Plugin 'weather' supports host versions '>=0.1.0 <1.0.0' but this host is 0.0.1",
    );
  });

  it("refuses a released host outside the range", () => {
    expect(() => assertHostVersionSupported("weather", ">=0.1.0 <1.0.0", "1.0.0")).toThrow(
      "Plugin 'weather' supports host versions '>=0.1.0 <1.0.0' but this host is 1.0.0",
    );
  });
});
