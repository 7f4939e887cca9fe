import type { GatewayConfig } from "../config/load.js";
import type { GatewayStore } from "../store/types.js";
import type { CommandContext } from "./context.js";

/** Opens the store; loaded lazily so that `--help` and config errors never load the database driver. */
export async function openStoreFor(
  config: GatewayConfig,
  cwd: string,
  options?: { migrate?: boolean },
): Promise<GatewayStore> {
  const { openStore } = await import("../store/open-store.js");
  return openStore(config, cwd, options);
}

/** Loads the configuration, opens (and migrates) the database, runs `work`, and always closes it. */
export async function withStore<T>(
  context: CommandContext,
  work: (store: GatewayStore) => Promise<T>,
): Promise<T> {
  const config = await context.loadConfig();
  const store = await openStoreFor(config, context.io.cwd);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
