import { access, constants, mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname } from "node:path";
import type { GatewayConfig } from "../config/load.js";
import { databaseFilePath } from "../runtime/dev-secret.js";
import { type Finding, ok, problem } from "./finding.js";

const MIN_NODE = [20, 19] as const;

/** Node.js is new enough. */
export function checkNode(version = process.versions.node): Finding {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  const good = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return good
    ? ok("node", `Node.js ${version}`)
    : problem(
        "node",
        "fail",
        `Node.js ${version} is too old`,
        `install Node.js ${MIN_NODE.join(".")} or newer`,
      );
}

/** The folder of a file database exists (or can be made) and is writable. */
export async function checkDataFolder(config: GatewayConfig, cwd: string): Promise<Finding> {
  const file = databaseFilePath(config.database.url, cwd);
  if (file === undefined)
    return ok("data folder", `not needed for ${config.database.url.split(":")[0]} databases`);
  const folder = dirname(file);
  try {
    await mkdir(folder, { recursive: true });
    await access(folder, constants.W_OK);
    return ok("data folder", `${folder} is writable`);
  } catch (error) {
    return problem(
      "data folder",
      "fail",
      `${folder} is not writable (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      `give the gateway's user write access to ${folder}, or set DATABASE_URL to a writable place`,
    );
  }
}

/** The configured port can be bound (nothing else is listening there). */
export function checkPort(config: GatewayConfig): Promise<Finding> {
  if (config.port === 0) return Promise.resolve(ok("port", "0: a free port is picked at start"));
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) =>
      resolve(
        problem(
          "port",
          "warn",
          `cannot listen on ${config.host}:${config.port} (${error.code ?? error.message})`,
          error.code === "EADDRINUSE"
            ? "stop what uses the port (maybe a running gateway) or set WAYGATE_PORT to another one"
            : "check WAYGATE_HOST is an address of this machine",
        ),
      ),
    );
    server.listen(config.port, config.host, () => {
      server.close(() => resolve(ok("port", `${config.host}:${config.port} is free`)));
    });
  });
}

/** The secret key situation for the configured environment. */
export function checkSecretKey(config: GatewayConfig): Finding {
  if (config.secretKey !== undefined) return ok("secret key", "WAYGATE_SECRET_KEY is set");
  return problem(
    "secret key",
    "warn",
    "WAYGATE_SECRET_KEY is not set: development keeps a generated one in waygate.secret beside the database",
    "for production, generate one with `openssl rand -hex 32` and set WAYGATE_SECRET_KEY",
  );
}
