import type { GatewayConfig } from "../config/load.js";
import { CliError } from "../errors.js";

/** The part of core's API-key repository that first-run needs. */
export interface KeyCounter {
  count(options?: { activeOnly?: boolean }): Promise<number>;
  create(input: { name: string; scopes: string[] }): Promise<{ key: { id: string }; plaintext: string }>;
}

/**
 * Production refuses to start without an active key. In development, an empty database gets an admin key,
 * returned here so the caller prints it once; it is never shown again.
 */
export async function ensureFirstKey(
  config: GatewayConfig,
  apiKeys: KeyCounter,
): Promise<{ id: string; plaintext: string } | undefined> {
  if (config.auth === "none") return undefined;
  if (config.env === "production") {
    if ((await apiKeys.count({ activeOnly: true })) > 0) return undefined;
    throw new CliError(
      "config_invalid",
      "production needs at least one active API key before it starts: create one with " +
        "`waygate keys create --name admin --scopes admin` (with the same DATABASE_URL and WAYGATE_SECRET_KEY)",
    );
  }
  if ((await apiKeys.count()) > 0) return undefined;
  const created = await apiKeys.create({ name: "admin (first run)", scopes: ["admin"] });
  return { id: created.key.id, plaintext: created.plaintext };
}

/** The banner that shows the first-run key once. */
export function firstKeyBanner(key: { id: string; plaintext: string }): string {
  return [
    "",
    "  First run: created an admin API key. It is shown only this once; store it now.",
    "",
    `    ${key.plaintext}`,
    "",
    "  Send it as 'Authorization: Bearer <key>'. Create narrower keys with `waygate keys create`.",
    "",
  ].join("\n");
}
