import { createRequire } from "node:module";
import * as core from "@waygate/core";
import { isWaygateError, WaygateError } from "@waygate/errors";
import * as sdk from "@waygate/plugin-sdk";
import { BridgeCredentialsError } from "@waygate/plugin-sdk/bridge";
import * as server from "@waygate/server";
import { describe, expect, it } from "vitest";
import { CliError, ConfigError, exitCodeFor } from "../src/errors.js";

/** One error of each package's root and of a few subclasses, as each package throws them. */
const samples = () => ({
  core: new core.DatabaseLockedError("locked"),
  coreNotFound: new core.NotFoundError("no such key"),
  plugin: new sdk.UpstreamTimeoutError("slow"),
  pluginNotFound: new sdk.NotFoundError("TOOL_NOT_FOUND", "no such tool"),
  bridge: new BridgeCredentialsError("Set GITHUB_TOKEN", ["GITHUB_TOKEN"]),
  gateway: new server.ForbiddenError("no scope"),
  gatewayNotFound: new server.NotFoundError("unknown_server", "no such server"),
  cli: new ConfigError([{ path: "WAYGATE_PORT", message: "not a port", fix: "set 1-65535" }]),
});

describe("one error root for every package", () => {
  it("every package's errors extend WaygateError from @waygate/errors, which core re-exports", () => {
    expect(core.WaygateError).toBe(WaygateError);
    for (const [name, error] of Object.entries(samples())) {
      expect(error, name).toBeInstanceOf(WaygateError);
      expect(WaygateError.isInstance(error), name).toBe(true);
      expect(isWaygateError(error), name).toBe(true);
      expect(typeof error.code, name).toBe("string");
    }
  });

  it("keeps each class's name and code as before", () => {
    const all = samples();
    expect(
      Object.fromEntries(Object.entries(all).map(([key, error]) => [key, [error.name, error.code]])),
    ).toEqual({
      core: ["DatabaseLockedError", "DATABASE_LOCKED"],
      coreNotFound: ["NotFoundError", "NOT_FOUND"],
      plugin: ["UpstreamTimeoutError", "UPSTREAM_TIMEOUT"],
      pluginNotFound: ["NotFoundError", "TOOL_NOT_FOUND"],
      bridge: ["BridgeCredentialsError", "BRIDGE_CREDENTIALS_MISSING"],
      gateway: ["ForbiddenError", "forbidden"],
      gatewayNotFound: ["NotFoundError", "unknown_server"],
      cli: ["ConfigError", "config_invalid"],
    });
  });

  it("tells the packages' classes apart, the three NotFoundErrors included", () => {
    const all = samples();
    expect(core.NotFoundError.isInstance(all.coreNotFound)).toBe(true);
    expect(core.NotFoundError.isInstance(all.pluginNotFound)).toBe(false);
    expect(core.NotFoundError.isInstance(all.gatewayNotFound)).toBe(false);
    expect(sdk.NotFoundError.isInstance(all.coreNotFound)).toBe(false);
    expect(server.NotFoundError.isInstance(all.pluginNotFound)).toBe(false);
    expect(server.GatewayError.isInstance(all.gateway)).toBe(true);
    expect(server.GatewayError.isInstance(all.core)).toBe(false);
    expect(server.ForbiddenError.isInstance(all.gatewayNotFound)).toBe(false);
    expect(sdk.UpstreamTimeoutError.isInstance(all.plugin)).toBe(true);
    expect(sdk.UpstreamTimeoutError.isInstance(new sdk.UpstreamClosedError("gone"))).toBe(false);
    expect(core.DatabaseError.isInstance(all.core)).toBe(true);
    expect(CliError.isInstance(all.cli)).toBe(true);
    expect(CliError.isInstance(all.gateway)).toBe(false);
    // PluginError.isInstance stays what it was: any Waygate error, so the SDK passes each through unchanged.
    expect(sdk.PluginError.isInstance(all.core)).toBe(true);
    expect(sdk.PluginError.isInstance(all.plugin, "UPSTREAM_TIMEOUT")).toBe(true);
    expect(sdk.PluginError.isInstance(all.plugin, "UPSTREAM_CLOSED")).toBe(false);
  });

  it("recognises errors from the other build of each package (ESM here, CommonJS there) by marker", () => {
    const require = createRequire(import.meta.url);
    const cjsCore = require("@waygate/core") as typeof core;
    const cjsSdk = require("@waygate/plugin-sdk") as typeof sdk;
    const cjsServer = require("@waygate/server") as typeof server;
    const fromCjs = {
      locked: new cjsCore.DatabaseLockedError("locked"),
      timeout: new cjsSdk.UpstreamTimeoutError("slow"),
      forbidden: new cjsServer.ForbiddenError("no scope"),
    };
    expect(fromCjs.locked).not.toBeInstanceOf(core.DatabaseLockedError);
    expect(core.DatabaseLockedError.isInstance(fromCjs.locked)).toBe(true);
    expect(core.DatabaseError.isInstance(fromCjs.locked)).toBe(true);
    expect(sdk.UpstreamTimeoutError.isInstance(fromCjs.timeout)).toBe(true);
    expect(server.ForbiddenError.isInstance(fromCjs.forbidden)).toBe(true);
    for (const error of Object.values(fromCjs)) expect(WaygateError.isInstance(error)).toBe(true);
    // The server maps the other copy's errors by code, and the CLI exits by code.
    expect(server.toPublicError(fromCjs.timeout, true)).toMatchObject({
      status: 504,
      code: "upstream_timeout",
    });
    expect(server.toPublicError(fromCjs.locked, true)).toMatchObject({
      status: 503,
      code: "database_unavailable",
    });
    expect(exitCodeFor(new cjsCore.AlreadyExistsError("taken"))).toBe(5);
  });
});
