import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { GatewayConfig } from "../config/load.js";
import { ConfigError } from "../errors.js";

/** The secret key to use, and where it came from. */
export interface ResolvedSecret {
  secretKey: string;
  source: "environment" | "generated-file" | "existing-file" | "ephemeral";
  /** The file holding a development secret, when one is used. */
  path?: string;
}

/** The filesystem path of a `file:` database URL, relative paths resolved from `cwd`; else `undefined`. */
export function databaseFilePath(url: string, cwd: string): string | undefined {
  if (!url.startsWith("file:")) return undefined;
  const bare = url.slice("file:".length).split("?")[0] ?? "";
  const path = bare.startsWith("//") ? bare.slice(2) : bare;
  return resolve(cwd, decodeURIComponent(path));
}

/**
 * The secret that keys API-key hashes. In production it must come from `WAYGATE_SECRET_KEY` (checked by
 * loadConfig). In development without one, a random secret is kept in `waygate.secret` beside the database
 * file (mode 0600) so that keys keep working across restarts; an in-memory database gets a throwaway one.
 */
export async function resolveSecretKey(config: GatewayConfig, cwd: string): Promise<ResolvedSecret> {
  if (config.secretKey !== undefined) return { secretKey: config.secretKey, source: "environment" };
  const file = databaseFilePath(config.database.url, cwd);
  if (file === undefined) {
    if (config.database.url === ":memory:") {
      return { secretKey: randomBytes(32).toString("hex"), source: "ephemeral" };
    }
    throw new ConfigError([
      {
        path: "WAYGATE_SECRET_KEY",
        message: "is required with a remote database, so that every replica hashes API keys the same way",
        fix: "generate one with `openssl rand -hex 32` and set WAYGATE_SECRET_KEY to it on every replica",
      },
    ]);
  }
  const path = join(dirname(file), "waygate.secret");
  try {
    const existing = (await readFile(path, "utf8")).trim();
    if (existing.length >= 32) return { secretKey: existing, source: "existing-file", path };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const secretKey = randomBytes(32).toString("hex");
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${secretKey}\n`, { mode: 0o600, flag: "wx" }).catch(
    async (error: NodeJS.ErrnoException) => {
      // Another process created it first: use theirs.
      if (error.code !== "EEXIST") throw error;
    },
  );
  await chmod(path, 0o600);
  const stored = (await readFile(path, "utf8")).trim();
  return { secretKey: stored, source: stored === secretKey ? "generated-file" : "existing-file", path };
}
