import type { HostedPlugin } from "../upstreams/hosted-plugin.js";

/** Where a backend came from: an in-process plugin, or an upstream MCP server from options or the database. */
export type BackendKind = "plugin" | "upstream";

/** A plugin or upstream the router dispatches to, under a server name. */
export interface Backend {
  name: string;
  kind: BackendKind;
  plugin: HostedPlugin;
  /** Transport of an upstream (`stdio`, `http`, `sse`); undefined for plugins. */
  transport?: string;
  /** Where its config lives: `options` or `database`. */
  origin: "options" | "database";
  /** Resolves when the first start attempt has settled (ready or failed). */
  started: Promise<void>;
  /** Error of a failed start, if any. */
  startError?: string;
  /** Disconnects the list-changed listener. */
  unsubscribe: () => void;
}

/** Public view of a backend's state for lists, status and health. */
export interface BackendStatus {
  name: string;
  kind: BackendKind;
  transport?: string;
  origin: "options" | "database";
  state: string;
  restarts: number;
  lastError?: { code: string; message: string; at: string };
}

/** Describes a backend for status pages, without any config values (which may hold secrets). */
export function backendStatus(backend: Backend): BackendStatus {
  const status = backend.plugin.getStatus();
  const lastError =
    status.lastError ??
    (backend.startError ? { code: "start_failed", message: backend.startError, at: "" } : undefined);
  return {
    name: backend.name,
    kind: backend.kind,
    ...(backend.transport ? { transport: backend.transport } : {}),
    origin: backend.origin,
    state: status.state,
    restarts: status.restarts,
    ...(lastError ? { lastError } : {}),
  };
}

/** True when the backend can take calls. */
export function backendUsable(backend: Backend): boolean {
  const state = backend.plugin.getStatus().state;
  return state === "ready" || state === "degraded";
}
