import { existsSync } from "node:fs";
import { join } from "node:path";
import { consoleAssetsDir } from "@waygate/console";
import { createRepositories, openDatabase } from "@waygate/core";
import { createGateway, createLogger } from "@waygate/server";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CommandContext } from "../src/cli/context.js";
import { type GatewayConfig, loadConfig } from "../src/config/load.js";
import { ConfigError } from "../src/errors.js";
import { prepareGateway } from "../src/runtime/prepare.js";
import { tempDir, writeJson } from "./helpers.js";

const SECRET = "test-secret-key-0123456789abcdef-0123456789";
let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.cleanup();
});

function contextFor(config: GatewayConfig, env: Record<string, string>): CommandContext {
  return {
    io: { cwd: dir.path, env, stderr: { write: () => true } },
    output: { progress: () => {} },
    loadConfig: async () => config,
  } as unknown as CommandContext;
}

describe("gateway.console", () => {
  it("is on by default outside production, off in production unless the config file enables it", async () => {
    expect((await loadConfig({ env: {}, cwd: dir.path })).console).toEqual({ enabled: true });
    const production = await loadConfig({
      env: { WAYGATE_ENV: "production", WAYGATE_SECRET_KEY: SECRET },
      cwd: dir.path,
    });
    expect(production.console.enabled).toBe(false);
    const file = await writeJson(dir.path, "waygate.json", {
      gateway: {
        console: {
          enabled: true,
          sessionTtlMs: 900_000,
          secureCookie: "always",
          oauthClientId: "console-app",
        },
      },
    });
    const enabled = await loadConfig({
      env: { WAYGATE_ENV: "production", WAYGATE_SECRET_KEY: SECRET, WAYGATE_CONFIG: file },
      cwd: dir.path,
    });
    expect(enabled.console).toEqual({
      enabled: true,
      sessionTtlMs: 900_000,
      secureCookie: "always",
      oauthClientId: "console-app",
    });
  });

  it("refuses a short session secret and an unknown key, naming the path", async () => {
    const file = await writeJson(dir.path, "waygate.json", {
      gateway: { console: { sessionSecret: "short", colour: "blue" } },
    });
    const error = await loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(ConfigError.isInstance(error)).toBe(true);
    const paths = (error as ConfigError).issues.map((issue) => issue.path).join(" ");
    expect(paths).toContain("gateway.console.sessionSecret");
    expect(paths).toContain("gateway.console");
  });

  it("composes @waygate/console into the server: /console serves the built page with its CSP", async () => {
    expect(existsSync(join(consoleAssetsDir, "index.html"))).toBe(true);
    const env = { DATABASE_URL: `file:${join(dir.path, "waygate.db")}`, WAYGATE_SECRET_KEY: SECRET };
    const config = await loadConfig({ env, cwd: dir.path });
    const prepared = await prepareGateway(config, contextFor(config, env));
    expect(prepared.options.console?.assetsDir).toBe(consoleAssetsDir);
    const gateway = await createGateway({ ...prepared.options, logger: createLogger({ silent: true }) });
    try {
      const { url } = await gateway.listen({ host: "127.0.0.1", port: 0 });
      const page = await fetch(`${url}/console/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    } finally {
      await gateway.close({ deadlineMs: 2000 });
      prepared.db.close();
    }
  });

  it("leaves the console out in production when it is not enabled", async () => {
    const env = {
      DATABASE_URL: `file:${join(dir.path, "waygate.db")}`,
      WAYGATE_SECRET_KEY: SECRET,
      WAYGATE_ENV: "production",
    };
    // Production starts only with an active key.
    const db = await openDatabase({ url: env.DATABASE_URL });
    await createRepositories(db, { secretKey: SECRET }).apiKeys.create({ name: "admin", scopes: ["admin"] });
    db.close();
    const config = await loadConfig({ env, cwd: dir.path });
    const prepared = await prepareGateway(config, contextFor(config, env));
    try {
      expect(prepared.options.console).toBeUndefined();
    } finally {
      prepared.db.close();
    }
  });
});
