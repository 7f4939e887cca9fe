import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  DatabaseError,
  DatabaseLockedError,
  MigrationError,
  SchemaTooNewError,
  WaygateError,
} from "../src/index.js";

// The built CommonJS bundle is a genuinely separate copy of every class.
const otherCopy = createRequire(import.meta.url)("../dist/index.cjs") as typeof import("../src/index.js");

describe("WaygateError.isInstance", () => {
  it("recognises errors from another copy of the package, where instanceof fails", () => {
    const foreign = new otherCopy.DatabaseLockedError("locked elsewhere");
    expect(foreign instanceof DatabaseLockedError).toBe(false);
    expect(DatabaseLockedError.isInstance(foreign)).toBe(true);
    expect(DatabaseError.isInstance(foreign)).toBe(true);
    expect(WaygateError.isInstance(foreign)).toBe(true);
    expect(MigrationError.isInstance(foreign)).toBe(false);
  });

  it("keeps code, message, cause and a subclass name", () => {
    const cause = new Error("root");
    const error = new DatabaseError("outer", { cause });
    expect(error).toMatchObject({ code: "DATABASE_ERROR", message: "outer", cause, name: "DatabaseError" });
    const tooNew = new SchemaTooNewError(5, 1);
    expect(tooNew.name).toBe("SchemaTooNewError");
    expect(MigrationError.isInstance(tooNew)).toBe(true);
  });

  it("rejects look-alikes without the marker", () => {
    expect(WaygateError.isInstance(new Error("plain"))).toBe(false);
    expect(WaygateError.isInstance({ code: "DATABASE_ERROR" })).toBe(false);
    expect(WaygateError.isInstance(null)).toBe(false);
  });
});
