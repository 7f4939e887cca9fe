import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { isWaygateError, WaygateError } from "../src/index.js";

class StoreError extends WaygateError {
  static override readonly kind: string = "StoreError";
}
class StoreLockedError extends StoreError {
  static override readonly kind: string = "StoreLockedError";
}
class OtherError extends WaygateError {
  static override readonly kind: string = "OtherError";
}

describe("WaygateError", () => {
  it("carries a stable code, the message, the cause and its kind as name", () => {
    const cause = new Error("disk");
    const error = new StoreLockedError("STORE_LOCKED", "The store is locked; close the other writer.", {
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: "STORE_LOCKED", name: "StoreLockedError", cause });
    expect(error.message).toBe("The store is locked; close the other writer.");
    expect("cause" in new WaygateError("X", "no cause")).toBe(false);
  });

  it("recognises a class and its subclasses, and not siblings or parents", () => {
    const locked = new StoreLockedError("STORE_LOCKED", "x");
    expect(WaygateError.isInstance(locked)).toBe(true);
    expect(StoreError.isInstance(locked)).toBe(true);
    expect(StoreLockedError.isInstance(locked)).toBe(true);
    expect(OtherError.isInstance(locked)).toBe(false);
    expect(StoreLockedError.isInstance(new StoreError("STORE", "x"))).toBe(false);
  });

  it("filters by code when one is given", () => {
    const locked = new StoreLockedError("STORE_LOCKED", "x");
    expect(StoreError.isInstance(locked, "STORE_LOCKED")).toBe(true);
    expect(StoreError.isInstance(locked, "STORE_FULL")).toBe(false);
    expect(WaygateError.isInstance(locked, "STORE_FULL")).toBe(false);
  });

  it("refuses lookalikes without the marker, and non-objects", () => {
    const lookalike = Object.assign(new Error("x"), { code: "STORE_LOCKED", name: "StoreLockedError" });
    expect(WaygateError.isInstance(lookalike)).toBe(false);
    expect(StoreLockedError.isInstance(lookalike)).toBe(false);
    expect(isWaygateError(lookalike)).toBe(false);
    for (const value of [null, undefined, "STORE_LOCKED", 42]) {
      expect(WaygateError.isInstance(value)).toBe(false);
      expect(isWaygateError(value)).toBe(false);
    }
    // A marker but no string code is not a Waygate error either.
    expect(isWaygateError({ [Symbol.for("waygate.error")]: true, code: 7 })).toBe(false);
  });

  it("recognises errors of a release from before @waygate/errors (marker and code, no kinds) as Waygate errors only", () => {
    const older = Object.assign(new Error("x"), { [Symbol.for("waygate.error")]: true, code: "NOT_FOUND" });
    expect(isWaygateError(older)).toBe(true);
    expect(WaygateError.isInstance(older, "NOT_FOUND")).toBe(true);
    expect(StoreError.isInstance(older)).toBe(false);
  });

  it("works across two copies of the package (the built ESM and CommonJS files are two copies)", async () => {
    // The built files, not the sources: `pnpm test` builds first. The path is a variable so typecheck needs no build.
    const built = new URL("../dist/index.js", import.meta.url).href;
    const esm = (await import(built)) as typeof import("../src/index.js");
    const cjs = createRequire(import.meta.url)("../dist/index.cjs") as typeof import("../src/index.js");
    expect(esm.WaygateError).not.toBe(cjs.WaygateError);
    class CjsStoreError extends cjs.WaygateError {
      static override readonly kind: string = "StoreError";
    }
    const fromCjs = new CjsStoreError("STORE", "x");
    expect(fromCjs).not.toBeInstanceOf(esm.WaygateError);
    expect(esm.WaygateError.isInstance(fromCjs)).toBe(true);
    expect(StoreError.isInstance(fromCjs)).toBe(true);
    expect(OtherError.isInstance(fromCjs)).toBe(false);
    expect(cjs.WaygateError.isInstance(new StoreLockedError("STORE_LOCKED", "x"))).toBe(true);
  });
});

describe("legacyMarker", () => {
  const legacy = Symbol.for("waygate.test.legacy-error");
  class LegacyRoot extends WaygateError {
    static override readonly kind: string = "LegacyRoot";
    static override readonly legacyMarker = legacy;
  }
  class LegacyChild extends LegacyRoot {
    static override readonly kind: string = "LegacyChild";
  }
  const older = Object.assign(new Error("x"), { [legacy]: true, code: "conflict" });

  it("lets the class that set it know an older copy's errors by that marker, with the code filter", () => {
    expect(LegacyRoot.isInstance(older)).toBe(true);
    expect(LegacyRoot.isInstance(older, "conflict")).toBe(true);
    expect(LegacyRoot.isInstance(older, "usage")).toBe(false);
    expect(LegacyRoot.isInstance(Object.assign(new Error("x"), { [legacy]: true }))).toBe(false);
  });

  it("is not inherited: a subclass still needs its own kind", () => {
    expect(LegacyChild.isInstance(older)).toBe(false);
    expect(LegacyChild.isInstance(new LegacyChild("conflict", "x"))).toBe(true);
    expect(WaygateError.isInstance(older)).toBe(false);
  });
});
