// A gateway with an in-process plugin and a stdio upstream on a libSQL file, for lazy-modules.test.ts: prints
// `listening <url>` once its upstreams are ready, and runs until stdin closes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGateway, createLogger } from "../../src/index.js";
import { localPlugin, SECRET_KEY, serverEverythingPath } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "waygate-idle-"));
const gateway = await createGateway({
  databaseUrl: `file:${join(dir, "waygate.db")}`,
  secretKey: SECRET_KEY,
  env: "development",
  auth: "none",
  logger: createLogger({ silent: true }),
  plugins: [localPlugin()],
  upstreams: { everything: { command: process.execPath, args: [serverEverythingPath(), "stdio"] } },
  console: { assetsDir: dir },
});
const { url } = await gateway.listen({ host: "127.0.0.1", port: 0 });
await gateway.ready();
process.stdout.write(`listening ${url}\n`);
process.stdin.resume();
process.stdin.on("end", async () => {
  await gateway.close({ deadlineMs: 2000 });
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
