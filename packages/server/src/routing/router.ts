import {
  type Prompt,
  type Resource,
  type ResourceTemplateType as ResourceTemplate,
  type Tool,
  UriTemplate,
} from "@modelcontextprotocol/server";
import type { PinKind } from "@waygate/core";
import { GatewayError, NotFoundError, UpstreamError } from "../errors/errors.js";
import type { HostListChangedKind } from "../upstreams/hosted-plugin.js";
import { type Backend, backendStatus, backendUsable } from "./backend.js";
import {
  createNameTable,
  NAME_SEPARATOR,
  type NameCollision,
  type NameEntry,
  type NameTable,
  namespacedName,
} from "./naming.js";
import type { PinGuard } from "./pin-guard.js";

/** Which capabilities a session sees: all backends, namespaced, or one backend with its original names. */
export type View = { kind: "aggregate" } | { kind: "single"; server: string };

/** A listed tool with its exposed name and where it leads. */
export interface RoutedTool {
  tool: Tool;
  entry: NameEntry;
}

/** A tool name resolved to its backend. */
export interface ResolvedName {
  backend: Backend;
  original: string;
  /** `<server>__<name>` (shortened if needed): what tool patterns and audit rows use. */
  namespaced: string;
}

/** Listener for list changes of one backend. */
export type ListChangedListener = (kind: HostListChangedKind, server: string) => void;

/** Maps namespaced names to backends; caches each backend's lists until it reports a change. */
export interface Router {
  add(backend: Backend): void;
  remove(name: string): Backend | undefined;
  get(name: string): Backend | undefined;
  backends(): Backend[];
  listTools(view: View): Promise<{ tools: RoutedTool[]; collisions: NameCollision[] }>;
  resolveTool(view: View, name: string): Promise<ResolvedName>;
  listPrompts(view: View): Promise<{ prompt: Prompt; entry: NameEntry }[]>;
  resolvePrompt(view: View, name: string): Promise<ResolvedName>;
  listResources(view: View): Promise<{ resource: Resource; server: string }[]>;
  listResourceTemplates(view: View): Promise<{ template: ResourceTemplate; server: string }[]>;
  resolveResource(view: View, uri: string): Promise<Backend>;
  invalidate(server: string, kind?: HostListChangedKind): void;
  onListChanged(listener: ListChangedListener): () => void;
  notifyListChanged(kind: HostListChangedKind, server: string): void;
  /** Hears every resource update a server reports (its URI and the server's name); returns the unsubscriber. */
  onResourceUpdated(listener: (uri: string, server: string) => void): () => void;
  notifyResourceUpdated(uri: string, server: string): void;
}

interface Lists {
  tools?: Promise<Tool[]>;
  prompts?: Promise<Prompt[]>;
  resources?: Promise<Resource[]>;
  templates?: Promise<ResourceTemplate[]>;
}

/** Creates an empty router. */
export function createRouter(
  options: {
    onListError?: (server: string, error: unknown) => void;
    /** Checks each loaded list against the servers' definition pins (see routing/pin-guard). */
    pins?: PinGuard;
  } = {},
): Router {
  const { pins } = options;
  const byName = new Map<string, Backend>();
  const lists = new Map<string, Lists>();
  const listeners = new Set<ListChangedListener>();
  const updateListeners = new Set<(uri: string, server: string) => void>();

  const cached = <K extends keyof Lists>(
    backend: Backend,
    key: K,
    load: () => NonNullable<Lists[K]>,
  ): NonNullable<Lists[K]> => {
    let entry = lists.get(backend.name);
    if (!entry) {
      entry = {};
      lists.set(backend.name, entry);
    }
    let value = entry[key];
    if (!value) {
      const loaded = load();
      value = loaded;
      entry[key] = loaded;
      // A failed listing is not cached: the next list retries.
      (loaded as Promise<unknown>).catch((error: unknown) => {
        if (entry[key] === loaded) entry[key] = undefined;
        options.onListError?.(backend.name, error);
      });
    }
    return value as NonNullable<Lists[K]>;
  };

  const viewBackends = (view: View): Backend[] => {
    if (view.kind === "aggregate") return [...byName.values()];
    const backend = byName.get(view.server);
    if (!backend) throw new NotFoundError("unknown_server", `Unknown server '${view.server}'`);
    return [backend];
  };

  /** Lists from every usable backend in the view; a broken backend is skipped, never fails the list. */
  async function gather<T>(view: View, load: (backend: Backend) => Promise<T[]>) {
    const backends = viewBackends(view).filter(backendUsable);
    const settled = await Promise.allSettled(backends.map(load));
    return backends.flatMap((backend, i) => {
      const result = settled[i];
      return result?.status === "fulfilled" ? result.value.map((item) => ({ item, backend })) : [];
    });
  }

  /**
   * The aggregate view's name table of tools or prompts. Calls resolve names against it, so it is kept until a
   * backend's list is reloaded or a backend comes, goes or changes usability, instead of being rebuilt per call.
   */
  const tables = new Map<
    "tool" | "prompt",
    { backends: Backend[]; lists: Promise<unknown>[]; table: NameTable }
  >();
  async function aggregateTable<T extends { name: string }>(
    what: "tool" | "prompt",
    listOf: (backend: Backend) => Promise<T[]>,
  ): Promise<NameTable> {
    const backends = [...byName.values()].filter(backendUsable);
    const sources = backends.map(listOf);
    const kept = tables.get(what);
    if (kept && sameItems(kept.backends, backends) && sameItems(kept.lists, sources)) return kept.table;
    const settled = await Promise.allSettled(sources);
    const table = createNameTable();
    backends.forEach((backend, i) => {
      const result = settled[i];
      if (result?.status === "fulfilled") for (const item of result.value) table.add(backend.name, item.name);
    });
    tables.set(what, { backends, lists: sources, table });
    return table;
  }

  const pinned = <T extends { name: string }>(backend: Backend, kind: PinKind, list: Promise<T[]>) =>
    pins ? list.then((items) => pins.filter(backend.name, kind, items)) : list;
  const toolsOf = (backend: Backend) =>
    cached(backend, "tools", () => pinned(backend, "tool", backend.plugin.listTools()));
  const promptsOf = (backend: Backend) =>
    cached(backend, "prompts", () => pinned(backend, "prompt", backend.plugin.listPrompts()));

  async function listTools(view: View) {
    const table = createNameTable();
    const found = await gather(view, toolsOf);
    const tools: RoutedTool[] = [];
    for (const { item, backend } of found) {
      const entry = table.add(backend.name, item.name);
      if (!entry) continue;
      const exposed = view.kind === "aggregate" ? entry.exposed : item.name;
      tools.push({ tool: { ...item, name: exposed }, entry });
    }
    return { tools, collisions: table.collisions() };
  }

  async function resolveIn<T extends { name: string }>(
    view: View,
    name: string,
    listOf: (backend: Backend) => Promise<T[]>,
    what: "tool" | "prompt",
  ): Promise<ResolvedName> {
    const code = what === "tool" ? "unknown_tool" : "not_found";
    if (view.kind === "single") {
      const backend = viewBackends(view)[0]!;
      // The lists load (and check the pins) before a name of this server is trusted.
      if (pins) await listOf(backend).catch(() => undefined);
      pins?.assertServable(backend.name, what, name);
      return { backend, original: name, namespaced: namespacedName(backend.name, name) };
    }
    const entry = (await aggregateTable(what, listOf)).resolve(name);
    if (!entry) {
      const unusable = unusableOwner(name);
      if (unusable) throw unusable;
      pins?.assertExposedServable(name, what);
      throw new NotFoundError(
        code,
        `Unknown ${what} '${name}'; list them with ${what}s/list or GET /mcp/tools`,
      );
    }
    const backend = byName.get(entry.server);
    if (!backend) throw new NotFoundError(code, `Unknown ${what} '${name}'`);
    return { backend, original: entry.original, namespaced: entry.exposed };
  }

  /**
   * The error for a name of a server that exists but cannot take calls (failed at start, or down), so the
   * caller learns why instead of reading "unknown". Server names hold no `__`, so the prefix is unique.
   */
  function unusableOwner(name: string): UpstreamError | undefined {
    const at = name.indexOf(NAME_SEPARATOR);
    if (at <= 0) return undefined;
    const backend = byName.get(name.slice(0, at));
    if (!backend || backendUsable(backend)) return undefined;
    const status = backendStatus(backend);
    const reason = status.lastError ? `; last error: ${status.lastError.message}` : "";
    return new UpstreamError(
      "upstream_unavailable",
      `Server '${backend.name}' is ${status.state}${reason}. Its tool '${name}' cannot be called until the ` +
        "server is ready; check GET /mcp/servers, fix the server and reload it.",
    );
  }

  return {
    add(backend) {
      if (byName.has(backend.name)) {
        throw new GatewayError("conflict", `A server named '${backend.name}' is already registered`);
      }
      byName.set(backend.name, backend);
    },
    remove(name) {
      const backend = byName.get(name);
      byName.delete(name);
      lists.delete(name);
      return backend;
    },
    get: (name) => byName.get(name),
    backends: () => [...byName.values()],
    listTools,
    resolveTool: (view, name) => resolveIn(view, name, toolsOf, "tool"),
    async listPrompts(view) {
      const table = createNameTable();
      const out: { prompt: Prompt; entry: NameEntry }[] = [];
      for (const { item, backend } of await gather(view, promptsOf)) {
        const entry = table.add(backend.name, item.name);
        if (!entry) continue;
        out.push({ prompt: { ...item, name: view.kind === "aggregate" ? entry.exposed : item.name }, entry });
      }
      return out;
    },
    resolvePrompt: (view, name) => resolveIn(view, name, promptsOf, "prompt"),
    async listResources(view) {
      const found = await gather(view, (b) => cached(b, "resources", () => b.plugin.listResources()));
      return found.map(({ item, backend }) => ({ resource: item, server: backend.name }));
    },
    async listResourceTemplates(view) {
      const found = await gather(view, (b) =>
        cached(b, "templates", () => pinned(b, "resource_template", b.plugin.listResourceTemplates())),
      );
      return found.map(({ item, backend }) => ({ template: item, server: backend.name }));
    },
    async resolveResource(view, uri) {
      const backends = viewBackends(view);
      // One server's own view: it decides what its URIs are.
      if (view.kind === "single") return backends[0]!;
      const resources = await this.listResources(view);
      const exact = resources.find((r) => r.resource.uri === uri);
      if (exact) return byName.get(exact.server)!;
      const templates = await this.listResourceTemplates(view);
      const matching = templates.find((t) => new UriTemplate(t.template.uriTemplate).match(uri) !== null);
      if (matching) return byName.get(matching.server)!;
      throw new NotFoundError(
        "not_found",
        `No server offers resource '${uri}'; list them with resources/list`,
      );
    },
    invalidate(server, kind) {
      const entry = lists.get(server);
      if (!entry) return;
      if (!kind) lists.delete(server);
      else if (kind === "tools") entry.tools = undefined;
      else if (kind === "prompts") entry.prompts = undefined;
      else {
        entry.resources = undefined;
        entry.templates = undefined;
      }
    },
    onListChanged(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    notifyListChanged(kind, server) {
      this.invalidate(server, kind);
      for (const listener of listeners) listener(kind, server);
    },
    onResourceUpdated(listener) {
      updateListeners.add(listener);
      return () => updateListeners.delete(listener);
    },
    notifyResourceUpdated(uri, server) {
      for (const listener of updateListeners) listener(uri, server);
    },
  };
}

/** True when both arrays hold the same items (by identity) in the same order. */
function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
