import { describe, expect, it } from "vitest";
import { CliError, ConfigError, ExitCode, exitCodeFor } from "../src/errors.js";

describe("errors and exit codes", () => {
  it("recognises CLI errors by marker, not instanceof, and maps each code to its exit code", () => {
    const foreign = Object.assign(new Error("x"), {
      code: "conflict",
      [Symbol.for("waygate.cli-error")]: true,
    });
    expect(CliError.isInstance(foreign)).toBe(true);
    expect(exitCodeFor(foreign)).toBe(ExitCode.conflict);
    expect(exitCodeFor(new CliError("not_found", "gone"))).toBe(4);
  });

  it("maps the stable codes of core and server errors, and anything else to 1", () => {
    const waygate = (code: string) =>
      Object.assign(new Error(code), { code, [Symbol.for("waygate.error")]: true });
    expect(exitCodeFor(waygate("ALREADY_EXISTS"))).toBe(5);
    expect(exitCodeFor(waygate("NOT_FOUND"))).toBe(4);
    expect(exitCodeFor(waygate("SECRET_KEY_INVALID"))).toBe(3);
    expect(exitCodeFor(waygate("invalid_options"))).toBe(3);
    expect(exitCodeFor(waygate("DATABASE_LOCKED"))).toBe(1);
    expect(exitCodeFor(new Error("plain"))).toBe(1);
  });

  it("lists every issue of a ConfigError with its path and fix in the message", () => {
    const error = new ConfigError(
      [
        { path: "WAYGATE_PORT", message: "expected a port number", fix: "set it to 3000" },
        { path: "mcpServers.a.url", message: "bad url", fix: "use https://" },
      ],
      { source: "waygate.json" },
    );
    expect(error.message).toBe(
      [
        "Invalid configuration in waygate.json:",
        "  - WAYGATE_PORT: expected a port number",
        "    fix: set it to 3000",
        "  - mcpServers.a.url: bad url",
        "    fix: use https://",
      ].join("\n"),
    );
    expect(ConfigError.isInstance(error)).toBe(true);
    expect(ConfigError.isInstance(new CliError("usage", "x"))).toBe(false);
  });
});
