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
 * Lists every capability the upstream advertises. Without a cursor the SDK client walks every page itself
 * (up to `listMaxPages`) and answers an empty list for a capability the upstream does not advertise.
 * `refresh` skips a still-fresh 2026-era cache entry: the bridge asks only when it needs new lists.
 */
export async function fetchUpstreamLists(client: Client, timeoutMs: number): Promise<UpstreamLists> {
  const options = { timeout: timeoutMs, cacheMode: "refresh" } as const;
  const [tools, resources, resourceTemplates, prompts] = await Promise.all([
    client.listTools(undefined, options),
    client.listResources(undefined, options),
    client.listResourceTemplates(undefined, options),
    client.listPrompts(undefined, options),
  ]);
  return {
    tools: tools.tools,
    resources: resources.resources,
    resourceTemplates: resourceTemplates.resourceTemplates,
    prompts: prompts.prompts,
  };
}
