import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRepositories, openDatabase } from "@waygate/core";

/** Secret used by every fault gateway; long enough for core's check, never printed by a correct gateway. */
export const SECRET_KEY = "faults-secret-key-7f3a9c2e5b8d1f4a6c0e9b2d7a5f3c1e";

/** A temp folder with a migrated database, two API keys and an optional config file. */
export interface Workspace {
  dir: string;
  databaseUrl: string;
  databasePath: string;
  /** `admin` has every scope; `caller` may list and call tools. */
  keys: { admin: string; caller: string };
  writeConfig(config: unknown): Promise<string>;
  cleanup(): Promise<void>;
}

/** Creates a workspace; keys are made with @waygate/core so the gateway never prints a first-run key. */
export async function createWorkspace(options: { dataDir?: string } = {}): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), "waygate-faults-"));
  const databasePath = join(options.dataDir ?? dir, "waygate.db");
  const databaseUrl = `file:${databasePath}`;
  const db = await openDatabase({ url: databaseUrl });
  const repos = createRepositories(db, { secretKey: SECRET_KEY });
  const admin = await repos.apiKeys.create({ name: "faults-admin", scopes: ["admin"] });
  const caller = await repos.apiKeys.create({ name: "faults-caller", scopes: ["tools:list", "tools:call"] });
  db.close();
  return {
    dir,
    databaseUrl,
    databasePath,
    keys: { admin: admin.plaintext, caller: caller.plaintext },
    async writeConfig(config) {
      const path = join(dir, "waygate.json");
      await writeFile(path, JSON.stringify(config, null, 2));
      return path;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
