import { createServer } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { gatewayBaseUrl } from "../src/cli/commands/servers-remote.js";
import { firstRunKey, type GatewayProcess, startGateway, waitForOutput } from "./gateway-process.js";
import { tempDir, writeJson } from "./helpers.js";
import { EVERYTHING, runCli } from "./run-cli.js";

let dir: { path: string; cleanup: () => Promise<void> };
let gateway: GatewayProcess | undefined;
const SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef";
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await gateway?.stop("SIGKILL");
  gateway = undefined;
  await dir.cleanup();
});

/** A running gateway with server-everything as `everything`, and its first-run admin key. */
async function running(): Promise<{ url: string; key: string }> {
  await writeJson(dir.path, "waygate.json", { mcpServers: { everything: EVERYTHING } });
  gateway = await startGateway(dir.path, { WAYGATE_CONFIG: "waygate.json", WAYGATE_SECRET_KEY: SECRET });
  const key = firstRunKey(gateway.stderr());
  if (!key) throw new Error(`no first-run key in:\n${gateway.stderr()}`);
  await waitForOutput(gateway, "upstreams started");
  return { url: gateway.url, key };
}

const cli = (args: string[], env: Record<string, string>) =>
  runCli(args, {
    cwd: dir.path,
    env: { WAYGATE_CONFIG: "waygate.json", WAYGATE_SECRET_KEY: SECRET, ...env },
  });

describe("waygate servers reload|restart", () => {
  it("restarts a server on the running gateway at --url with an admin key, and says its state after", async () => {
    const { url, key } = await running();
    const reload = await cli(["servers", "reload", "everything", "--url", url], { WAYGATE_API_KEY: key });
    expect(reload.stderr).toBe("");
    expect(reload.code).toBe(0);
    expect(reload.stdout).toContain("reloaded everything: ready");

    const restart = await cli(["servers", "restart", "everything", "--url", url, "--json"], {
      WAYGATE_API_KEY: key,
    });
    expect(restart.code).toBe(0);
    expect(JSON.parse(restart.stdout)).toMatchObject({ name: "everything", state: "ready" });
  });

  it("names the server and says to list them when the gateway has no such server", async () => {
    const { url, key } = await running();
    const run = await cli(["servers", "reload", "nosuch", "--url", url], { WAYGATE_API_KEY: key });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`has no server named "nosuch"`);
    expect(run.stderr).toContain("waygate servers list");
  });

  it("says to set WAYGATE_API_KEY to an admin key when the gateway refuses the request", async () => {
    const { url } = await running();
    const run = await cli(["servers", "reload", "everything", "--url", url], { WAYGATE_API_KEY: "wg_wrong" });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("refused the request (401");
    expect(run.stderr).toContain("set WAYGATE_API_KEY to a key with the admin scope");
  });

  it("says no gateway answered, and how to start one, when nothing listens at the URL", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    await writeJson(dir.path, "waygate.json", {});
    const run = await cli(["servers", "reload", "everything", "--url", `http://127.0.0.1:${port}`], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`no gateway answered at http://127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it("refuses a --url that is not http(s) as a usage error", async () => {
    await writeJson(dir.path, "waygate.json", {});
    const run = await cli(["servers", "reload", "everything", "--url", "ftp://x"], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--url must be the http(s) URL of a running gateway");
  });

  it("asks the address this config listens on when --url is not given, on loopback for a wildcard host", () => {
    expect(gatewayBaseUrl({ host: "0.0.0.0", port: 3000 }, undefined).href).toBe("http://127.0.0.1:3000/");
    expect(gatewayBaseUrl({ host: "::", port: 8080 }, undefined).href).toBe("http://127.0.0.1:8080/");
    expect(gatewayBaseUrl({ host: "10.0.0.5", port: 3000 }, undefined).href).toBe("http://10.0.0.5:3000/");
    expect(gatewayBaseUrl({ host: "::1", port: 3000 }, undefined).href).toBe("http://[::1]:3000/");
  });
});
