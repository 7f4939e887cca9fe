import type { WaygatePlugin } from "./plugin.js";

/** Marks plugin objects; `Symbol.for` so two installed copies of the SDK recognise each other's plugins. */
export const PLUGIN_BRAND: unique symbol = Symbol.for("waygate.plugin");

/** True if the value is a plugin instance (from any copy of the SDK). */
export function isWaygatePlugin(value: unknown): value is WaygatePlugin {
  return (
    typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[PLUGIN_BRAND] === true
  );
}

/** True if the value is a plugin class (a constructor whose instances carry the brand). */
export function isWaygatePluginClass(value: unknown): value is new () => WaygatePlugin {
  return typeof value === "function" && isWaygatePlugin((value as { prototype?: unknown }).prototype);
}
