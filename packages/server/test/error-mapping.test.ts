import { describe, expect, it } from "vitest";
import { toPublicError } from "../src/errors/error-mapping.js";
import { AuthError, ForbiddenError, UpstreamError } from "../src/errors/errors.js";

describe("toPublicError", () => {
  it("maps gateway errors to their HTTP status and JSON-RPC code", () => {
    expect(toPublicError(new AuthError("no key"), true)).toEqual({
      status: 401,
      jsonRpcCode: -32001,
      code: "unauthenticated",
      message: "no key",
    });
    expect(toPublicError(new ForbiddenError("nope"), true)).toMatchObject({
      status: 403,
      jsonRpcCode: -32003,
    });
    expect(toPublicError(new UpstreamError("upstream_timeout", "slow"), true)).toMatchObject({ status: 504 });
  });

  it("maps errors from core and the plugin SDK by their code", () => {
    const pluginTimeout = Object.assign(new Error("upstream slow"), {
      [Symbol.for("waygate.error")]: true,
      code: "UPSTREAM_TIMEOUT",
    });
    expect(toPublicError(pluginTimeout, true)).toMatchObject({ status: 504, code: "upstream_timeout" });
    const coreInvalid = Object.assign(new Error("bad scopes"), {
      [Symbol.for("waygate.error")]: true,
      code: "INVALID_INPUT",
    });
    expect(toPublicError(coreInvalid, true)).toMatchObject({
      status: 400,
      code: "bad_request",
      message: "bad scopes",
    });
  });

  it("hides internal messages and stacks in production but not in development", () => {
    const boom = new Error("database password is hunter2");
    expect(toPublicError(boom, true)).toEqual({
      status: 500,
      jsonRpcCode: -32603,
      code: "internal",
      message: "Internal server error",
    });
    expect(toPublicError(boom, false).message).toContain("hunter2");
    expect(JSON.stringify(toPublicError(boom, false))).not.toContain("at ");
  });
});
