// The upstream's lists mirrored by the bridge: fetched on connect, kept current on list_changed (a 2025
// notification or a 2026-07-28 `subscriptions/listen` stream), with the tools the host's policy hides left out.
import type {
  Client,
  McpSubscription,
  Prompt,
  Resource,
  ResourceTemplateType as ResourceTemplate,
  Tool,
} from "@modelcontextprotocol/client";
import { errorMessage } from "../errors.js";
import type { Logger } from "../logger.js";
import type { ListChangedKind } from "../plugin.js";
import type { BridgePolicy } from "./policy.js";

/** Everything an upstream lists, cached by the bridge between list_changed notifications. */
export interface UpstreamLists {
  tools: Tool[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
  prompts: Prompt[];
}

/** Most pages the bridge follows per list (the client's `listMaxPages`), against a cursor that never ends. */
export const MAX_LIST_PAGES = 100;

/**
 * Lists every capability the upstream advertises. Without a cursor the SDK client walks every page itself (up
 * to `listMaxPages`). `refresh` skips a still-fresh 2026-era cache entry: the bridge asks only when it needs
 * new lists. A capability the upstream does not advertise is not asked for: the SDK would answer an empty list
 * but also write a line to stdout with `console.debug`, which is the MCP channel of a stdio gateway.
 */
export async function fetchUpstreamLists(client: Client, timeoutMs: number): Promise<UpstreamLists> {
  const caps = client.getServerCapabilities() ?? {};
  const options = { timeout: timeoutMs, cacheMode: "refresh" } as const;
  const [tools, resources, resourceTemplates, prompts] = await Promise.all([
    caps.tools ? client.listTools(undefined, options).then((r) => r.tools) : [],
    caps.resources ? client.listResources(undefined, options).then((r) => r.resources) : [],
    caps.resources ? client.listResourceTemplates(undefined, options).then((r) => r.resourceTemplates) : [],
    caps.prompts ? client.listPrompts(undefined, options).then((r) => r.prompts) : [],
  ]);
  return { tools, resources, resourceTemplates, prompts };
}

/** On a 2026-era connection list_changed notifications come only on a `subscriptions/listen` stream. */
export async function listenForListChanges(
  client: Client,
  timeoutMs: number,
  logger: Logger,
): Promise<McpSubscription | undefined> {
  if (client.getProtocolEra() !== "modern") return undefined;
  const caps = client.getServerCapabilities() ?? {};
  const filter = {
    ...(caps.tools?.listChanged ? { toolsListChanged: true } : {}),
    ...(caps.prompts?.listChanged ? { promptsListChanged: true } : {}),
    ...(caps.resources?.listChanged ? { resourcesListChanged: true } : {}),
  };
  if (Object.keys(filter).length === 0) return undefined;
  try {
    return await client.listen(filter, { timeout: timeoutMs });
  } catch (error) {
    // The upstream still serves; its lists just go stale until the next restart.
    logger.warn("listening for upstream list changes failed", { error: errorMessage(error) });
    return undefined;
  }
}

/** The lists a bridge serves: the upstream's last lists, and the tools of them its policy lets callers see. */
export class UpstreamListMirror {
  #lists: UpstreamLists = { tools: [], resources: [], resourceTemplates: [], prompts: [] };
  #visibleTools: Tool[] = [];
  readonly #policy: BridgePolicy | undefined;

  constructor(policy: BridgePolicy | undefined) {
    this.#policy = policy;
  }

  /** The upstream's last lists, hidden tools included. */
  get lists(): UpstreamLists {
    return this.#lists;
  }

  /** The upstream's tools that the policy does not hide. */
  get visibleTools(): Tool[] {
    return this.#visibleTools;
  }

  replace(lists: UpstreamLists): void {
    this.#lists = lists;
    const policy = this.#policy;
    this.#visibleTools = policy
      ? lists.tools.filter((tool) => policy.hideReason(tool) === undefined)
      : lists.tools;
  }

  /** Fetches the lists anew after a list_changed, then calls `changed`; a failure keeps the old lists. */
  async refresh(
    client: Client,
    kind: ListChangedKind,
    timeoutMs: number,
    logger: Logger,
    changed: (kind: ListChangedKind) => void,
  ): Promise<void> {
    try {
      this.replace(await fetchUpstreamLists(client, timeoutMs));
      changed(kind);
    } catch (error) {
      logger.warn("refreshing upstream lists failed", { kind, error: errorMessage(error) });
    }
  }
}
