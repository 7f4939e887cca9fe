import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createRepositories, openDatabase, type Repositories, type WaygateDatabase } from "@waygate/core";
import { createGateway, createLogger, type Gateway } from "@waygate/server";
import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium, which `.ci/run` installs; the tests never download a browser. */
export const CHROMIUM = process.env.WAYGATE_CHROMIUM ?? "/usr/bin/chromium";
/** The console as `pnpm build` leaves it. */
export const ASSETS_DIR = fileURLToPath(new URL("../dist/app", import.meta.url));
/** The widths every page is checked and photographed at: a laptop and a phone. */
export const WIDTHS = [
  [1280, "1280"],
  [390, "390"],
] as const;
/** Screenshots land here (gitignored). */
export const OUTPUT_DIR = fileURLToPath(new URL("../test-output", import.meta.url));

const FIXTURE = fileURLToPath(new URL("../../../fixtures/modern-server.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");
const SECRET_KEY = "console-e2e-secret-key-0123456789abcdef";

/** Launches Debian's Chromium headless; a missing binary fails the test with the fix, never skips it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it with 'apt-get install -y chromium' (.ci/run does), or set WAYGATE_CHROMIUM`,
    );
  }
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
}

/** The modern-server fixture over Streamable HTTP on a loopback port (a free one by default): a remote upstream to add. */
export async function startHttpFixture(port = 0): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["--import", TSX, FIXTURE, "--http", "--port", String(port)], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  for await (const line of createInterface({ input: child.stdout! })) {
    const url = /listening on (\S+)/.exec(line)?.[1];
    if (url) return { url, child };
  }
  throw new Error("the HTTP fixture exited before listening");
}

/** A real gateway with the console on a libSQL file, a stdio upstream, and loopback egress allowed. */
export interface ConsoleGateway {
  gateway: Gateway;
  url: string;
  repos: Repositories;
  db: WaygateDatabase;
  adminKey: string;
  close(): Promise<void>;
}

/** A loopback port nothing listens on now (for a gateway whose public URL must be known before it starts). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts the gateway the browser tests drive; `oauth` adds the built-in authorization server at its own URL. */
export async function startConsoleGateway(extra: { oauth?: boolean } = {}): Promise<ConsoleGateway> {
  if (!existsSync(join(ASSETS_DIR, "index.html"))) {
    throw new Error(`The console is not built (${ASSETS_DIR} has no index.html): run pnpm build first`);
  }
  // The built-in issuer's URLs come from the public URL, so its port is chosen before the gateway starts.
  const port = extra.oauth ? await freePort() : 0;
  const dir = mkdtempSync(join(tmpdir(), "waygate-console-e2e-"));
  const db = await openDatabase({ url: `file:${join(dir, "waygate.db")}` });
  const repos = createRepositories(db, { secretKey: SECRET_KEY });
  const gateway = await createGateway({
    database: db,
    secretKey: SECRET_KEY,
    env: "test",
    logger: createLogger({ silent: true }),
    collectDefaultMetrics: false,
    // The remote server added through the console listens on loopback.
    egress: { allow: ["127.0.0.1/32"] },
    upstreams: { local: { command: process.execPath, args: ["--import", TSX, FIXTURE] } },
    console: { assetsDir: ASSETS_DIR },
    ...(extra.oauth ? { oauth: { builtin: {}, publicUrl: `http://127.0.0.1:${port}` } } : {}),
  });
  const { url } = await gateway.listen({ host: "127.0.0.1", port });
  await gateway.ready();
  const { plaintext } = await repos.apiKeys.create({ name: "operator", scopes: ["admin"] });
  return {
    gateway,
    url,
    repos,
    db,
    adminKey: plaintext,
    async close() {
      await gateway.close({ deadlineMs: 2000 });
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
