import { request } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type GatewayProcess, startGateway } from "./gateway-process.js";
import { tempDir, writeJson } from "./helpers.js";

let dir: { path: string; cleanup: () => Promise<void> };
let gateway: GatewayProcess | undefined;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await gateway?.stop("SIGKILL");
  gateway = undefined;
  await dir.cleanup();
});

/** GET `path` with a chosen Host header (fetch will not send one of our choosing). */
function getWithHost(url: string, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(path, url);
    const req = request(target, { headers: { host } }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the Host check of the running gateway", () => {
  it("refuses an unknown Host naming the setting that exists, gateway.allowedHosts, not WAYGATE_ALLOWED_HOSTS", async () => {
    gateway = await startGateway(dir.path, {});
    const refused = await getWithHost(gateway.url, "/mcp/tools", "evil.example");
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("gateway.allowedHosts in the config file");
    expect(refused.body).not.toContain("WAYGATE_ALLOWED_HOSTS");
  });

  it("accepts a Host listed in gateway.allowedHosts (then asks for a key, as any request without one)", async () => {
    await writeJson(dir.path, "waygate.json", { gateway: { allowedHosts: ["gw.example"] } });
    gateway = await startGateway(dir.path, { WAYGATE_CONFIG: "waygate.json" });
    const accepted = await getWithHost(gateway.url, "/mcp/tools", "gw.example");
    expect(accepted.status).toBe(401);
  });
});
