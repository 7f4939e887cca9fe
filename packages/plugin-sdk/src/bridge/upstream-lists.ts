import type {
  Client,
  Prompt,
  Resource,
  ResourceTemplateType as ResourceTemplate,
  Tool,
} from "@modelcontextprotocol/client";

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
