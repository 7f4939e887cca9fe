import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  BridgeConfigError,
  BridgeCredentialsError,
  type EnvField,
  parseBridgeSettings,
  readEnvFields,
} from "../src/bridge/index.js";
import { PluginError } from "../src/index.js";

const FIELDS = {
  host: { variable: "DEMO_HOST", kind: "string", hint: "set DEMO_HOST to the server's host name" },
  readOnly: { variable: "DEMO_READ_ONLY", kind: "boolean", hint: "set DEMO_READ_ONLY to true or false" },
  owners: { variable: "DEMO_OWNERS", kind: "list", hint: "set DEMO_OWNERS to a comma list of logins" },
  scopes: { variable: "DEMO_SCOPES", kind: "words", hint: "set DEMO_SCOPES to space-separated scopes" },
  limit: { variable: "DEMO_LIMIT", kind: "integer", hint: "set DEMO_LIMIT to a whole number" },
} satisfies Record<string, EnvField>;

const Schema = z.object({
  host: z.string().min(1),
  readOnly: z.boolean().default(true),
  owners: z.array(z.string()).default([]),
  scopes: z.array(z.string()).default([]),
  limit: z.number().int().positive().default(10),
});

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("bridge settings from the environment", () => {
  it("reads each kind of variable, skipping unset and blank ones", () => {
    const input = readEnvFields(
      {
        DEMO_HOST: " example.test ",
        DEMO_READ_ONLY: "no",
        DEMO_OWNERS: "a, b,,c",
        DEMO_SCOPES: "repo  read:org",
        DEMO_LIMIT: "25",
        DEMO_UNUSED: "x",
      },
      FIELDS,
    );
    expect(input).toEqual({
      host: "example.test",
      readOnly: false,
      owners: ["a", "b", "c"],
      scopes: ["repo", "read:org"],
      limit: 25,
    });
    expect(readEnvFields({ DEMO_HOST: "   " }, FIELDS)).toEqual({});
  });

  it("parses valid settings, filling defaults", () => {
    const settings = parseBridgeSettings(Schema, readEnvFields({ DEMO_HOST: "h" }, FIELDS), FIELDS, "demo");
    expect(settings).toEqual({ host: "h", readOnly: true, owners: [], scopes: [], limit: 10 });
  });

  it("rejects bad settings with a BridgeConfigError naming each variable, option and hint", () => {
    const error = thrown(() =>
      parseBridgeSettings(
        Schema,
        readEnvFields({ DEMO_READ_ONLY: "maybe", DEMO_LIMIT: "-3" }, FIELDS),
        FIELDS,
        "demo",
      ),
    );
    expect(BridgeConfigError.isInstance(error, "BRIDGE_CONFIG_INVALID")).toBe(true);
    expect(PluginError.isInstance(error, "BRIDGE_CONFIG_INVALID")).toBe(true);
    const { message, variables } = error as BridgeConfigError;
    expect(variables).toEqual(["DEMO_HOST", "DEMO_READ_ONLY", "DEMO_LIMIT"]);
    expect(message).toMatch(
      /^Invalid settings for the demo bridge: DEMO_HOST \(option 'host'\): .*; set DEMO_HOST/,
    );
    expect(message).toContain("DEMO_READ_ONLY (option 'readOnly'): ");
    expect(message).toContain("; set DEMO_LIMIT to a whole number");
  });

  it("names a schema issue outside the fields by its key", () => {
    const strict = z.object({ host: z.string() }).strict();
    const error = thrown(() => parseBridgeSettings(strict, { host: "h", extra: 1 }, FIELDS, "demo"));
    expect((error as BridgeConfigError).message).toMatch(/^Invalid settings for the demo bridge: settings: /);
    expect((error as BridgeConfigError).variables).toEqual([]);
  });
});

describe("bridge config errors", () => {
  it("carry a stable code and variables, and are recognised across copies by their marker", () => {
    const missing = new BridgeCredentialsError("Set DEMO_TOKEN", ["DEMO_TOKEN"]);
    expect(missing).toBeInstanceOf(PluginError);
    expect(missing).toMatchObject({ name: "BridgeCredentialsError", code: "BRIDGE_CREDENTIALS_MISSING" });
    expect(BridgeConfigError.isInstance(missing)).toBe(true);
    expect(BridgeConfigError.isInstance(missing, "BRIDGE_CONFIG_INVALID")).toBe(false);

    // What another copy of the SDK (or an older bridge's own class) would produce.
    const foreign = Object.assign(new Error("x"), {
      [Symbol.for("waygate.error")]: true,
      code: "BRIDGE_CONFIG_INVALID",
      variables: ["X"],
    });
    expect(BridgeConfigError.isInstance(foreign, "BRIDGE_CONFIG_INVALID")).toBe(true);
  });

  it("are not confused with other Waygate errors or lookalikes without the marker", () => {
    expect(BridgeConfigError.isInstance(new PluginError("PLUGIN_INVALID", "x"))).toBe(false);
    expect(BridgeConfigError.isInstance({ code: "BRIDGE_CONFIG_INVALID", variables: [] })).toBe(false);
    expect(BridgeConfigError.isInstance(null)).toBe(false);
  });
});
