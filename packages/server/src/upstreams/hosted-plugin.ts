import {
  type CallContext,
  isWaygatePlugin,
  type ListChangedKind,
  type PluginStatus,
  type WaygatePlugin,
} from "@waygate/plugin-sdk";

/** The plugin SDK's host-facing plugin interface, under the names the gateway uses. */
export type HostedPlugin = WaygatePlugin;
export type HostCallContext = CallContext;
export type HostListChangedKind = ListChangedKind;
export type HostPluginStatus = PluginStatus;

/** True if the value is a plugin from any copy of the SDK (brand check, not instanceof). */
export const isHostedPlugin: (value: unknown) => value is WaygatePlugin = isWaygatePlugin;
