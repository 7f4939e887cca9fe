import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { toDatabaseError } from "../src/database/map-error.js";
import {
  DatabaseError,
  DatabaseFullError,
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

describe("toDatabaseError on a full disk", () => {
  // A real ENOSPC needs a small mounted filesystem (root); tests/faults covers that end to end. Here the
  // driver's error is built in its documented shape (`code: "SQLITE_FULL"`) to check the mapping alone.
  it("maps SQLITE_FULL to DatabaseFullError naming the database and what to free", () => {
    const driver = Object.assign(new Error("SQLITE_FULL: database or disk is full"), { code: "SQLITE_FULL" });
    const mapped = toDatabaseError(driver, {
      displayUrl: "file:/data/waygate.db",
      kind: "file",
      action: "writing audit rows",
    });
    expect(DatabaseFullError.isInstance(mapped)).toBe(true);
    expect(DatabaseError.isInstance(mapped)).toBe(true);
    expect(mapped.code).toBe("DATABASE_FULL");
    expect(mapped.message).toContain("file:/data/waygate.db");
    expect(mapped.message).toMatch(/disk .* is full/);
    expect(mapped.message).toContain("Free space");
  });

  it("leaves other driver errors as a plain DatabaseError", () => {
    const mapped = toDatabaseError(Object.assign(new Error("boom"), { code: "SQLITE_ERROR" }), {
      displayUrl: "file:x.db",
      kind: "file",
      action: "reading",
    });
    expect(DatabaseFullError.isInstance(mapped)).toBe(false);
    expect(mapped.code).toBe("DATABASE_ERROR");
  });
});
