import { ClientCapabilityRequiredError, UpstreamTimeoutError } from "@waygate/plugin-sdk";
import { describe, expect, it } from "vitest";
import { jsonRpcCodeFor, toProtocolError, toPublicError } from "../src/errors/error-mapping.js";
import { AuthError, ForbiddenError, type GatewayErrorCode, UpstreamError } from "../src/errors/errors.js";

/** Every gateway code: the Record type makes the compiler fail this test when a code is added and not listed. */
const everyCode: Record<GatewayErrorCode, true> = {
  invalid_options: true,
  unauthenticated: true,
  forbidden: true,
  rate_limited: true,
  rate_limit_unavailable: true,
  bad_request: true,
  parse_error: true,
  unsupported_media_type: true,
  payload_too_large: true,
  headers_too_large: true,
  request_timeout: true,
  not_found: true,
  unknown_tool: true,
  unknown_server: true,
  conflict: true,
  pending_approval: true,
  upstream_unavailable: true,
  upstream_timeout: true,
  upstream_error: true,
  audit_unavailable: true,
  database_unavailable: true,
  issuer_unavailable: true,
  shutting_down: true,
  overloaded: true,
  internal: true,
};

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

describe("JSON-RPC codes", () => {
  it("keep every gateway code out of -32020..-32099, which the MCP specification reserves", () => {
    for (const code of Object.keys(everyCode) as GatewayErrorCode[]) {
      const jsonRpc = jsonRpcCodeFor(code);
      expect(Number.isInteger(jsonRpc), code).toBe(true);
      expect(jsonRpc <= -32020 && jsonRpc >= -32099, `${code} -> ${jsonRpc}`).toBe(false);
    }
    expect(jsonRpcCodeFor("rate_limited")).toBe(-32012);
  });
});

describe("toProtocolError", () => {
  it("carries the mapped JSON-RPC code and message, with code, request id and details in data", () => {
    const failure = toProtocolError(new UpstreamTimeoutError("upstream slow"), "req-1", true, {
      uri: "file:///a",
    });
    expect(failure).toMatchObject({
      code: -32008,
      message: "upstream slow",
      data: { code: "upstream_timeout", requestId: "req-1", uri: "file:///a" },
    });
    expect(toProtocolError(new Error("secret detail"), undefined, true)).toMatchObject({
      code: -32603,
      message: "Internal server error",
      data: { code: "internal" },
    });
  });

  it("passes an upstream's missing-capability refusal on as -32021 naming the capability", () => {
    const refusal = new ClientCapabilityRequiredError("needs sampling", { sampling: {} });
    expect(toProtocolError(refusal, "req-2", true)).toMatchObject({
      code: -32021,
      message: "needs sampling",
      data: { requiredCapabilities: { sampling: {} } },
    });
  });
});
