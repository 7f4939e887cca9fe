// Every export of this file is public API.
export {
  type LoadedPlugin,
  type LoadPluginOptions,
  loadPlugin,
  loadPlugins,
  type PluginEntry,
  type PluginSource,
} from "./load-plugin.js";
