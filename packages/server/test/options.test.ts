import { describe, expect, it } from "vitest";
import { GatewayError, GatewayOptionsError } from "../src/errors/errors.js";
import { isLoopbackHost, parseGatewayOptions } from "../src/options.js";

const base = { databaseUrl: ":memory:", secretKey: "0123456789abcdef0123456789abcdef" };

describe("parseGatewayOptions", () => {
  it("applies documented defaults", () => {
    const options = parseGatewayOptions(base);
    expect(options).toMatchObject({
      auth: "required",
      host: "127.0.0.1",
      bodyLimitBytes: 1024 * 1024,
      metrics: "protected",
      timeouts: { toolCallMs: 60_000, shutdownMs: 10_000 },
      rateLimit: { windowMs: 60_000, limit: 600 },
    });
  });

  it("uses core's server-name rule for upstreams: refuses a trailing '_' and '__', accepts a trailing '-'", () => {
    expect(() => parseGatewayOptions({ ...base, upstreams: { a_: { command: "x" } } })).toThrow(
      /must not end with '_'/,
    );
    expect(() => parseGatewayOptions({ ...base, upstreams: { a__b: { command: "x" } } })).toThrow(
      /must not contain '__'/,
    );
    expect(parseGatewayOptions({ ...base, upstreams: { "a-": { command: "x" } } }).upstreams).toHaveProperty(
      "a-",
    );
  });

  it("refuses auth 'none' in production, naming the setting", () => {
    expect(() => parseGatewayOptions({ ...base, auth: "none", env: "production" })).toThrow(
      /auth: auth 'none' \(WAYGATE_AUTH=none\) is refused in production/,
    );
  });

  it("refuses auth 'none' on a non-loopback bind address", () => {
    expect(() => parseGatewayOptions({ ...base, auth: "none", host: "0.0.0.0" })).toThrow(
      /allowed only on a loopback host, not 0\.0\.0\.0/,
    );
  });

  it("refuses a header deadline longer than the request deadline", () => {
    expect(() => parseGatewayOptions({ ...base, timeouts: { headersMs: 5000, requestMs: 1000 } })).toThrow(
      "timeouts.headersMs: must not exceed timeouts.requestMs",
    );
  });

  it("accepts auth 'none' on loopback outside production", () => {
    expect(parseGatewayOptions({ ...base, auth: "none", host: "::1" }).auth).toBe("none");
  });

  it("lists every problem with its path in one typed error", () => {
    let caught: unknown;
    try {
      parseGatewayOptions({ secretKey: "short", port: 70_000, upstreams: { "bad name": { command: "x" } } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(GatewayOptionsError);
    expect(GatewayError.isInstance(caught)).toBe(true);
    const message = (caught as Error).message;
    expect(message).toContain("secretKey: WAYGATE_SECRET_KEY must be at least 32 characters");
    expect(message).toContain("port:");
    expect(message).toContain("upstreams.bad name");
    expect((caught as GatewayError).code).toBe("invalid_options");
  });
});

describe("parseGatewayOptions without a database", () => {
  it("asks for a database or a database URL", () => {
    expect(() => parseGatewayOptions({ secretKey: base.secretKey })).toThrow(
      "databaseUrl: give either `database` or `databaseUrl`",
    );
  });
});

describe("isLoopbackHost", () => {
  it("recognises loopback names and addresses only", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ["0.0.0.0", "10.0.0.1", "example.com", "::"]) expect(isLoopbackHost(host)).toBe(false);
  });
});
