import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Prompt, Resource, ResourceTemplate, Tool } from "@modelcontextprotocol/sdk/types.js";

/** Everything an upstream lists, cached by the bridge between list_changed notifications. */
export interface UpstreamLists {
  tools: Tool[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
  prompts: Prompt[];
}

async function collectPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; next?: string }>,
) {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = await fetchPage(cursor);
    items.push(...result.items);
    if (!result.next) break;
    cursor = result.next;
  }
  return items;
}

/** Lists every capability the upstream advertises, following pagination cursors. */
export async function fetchUpstreamLists(client: Client, timeoutMs: number): Promise<UpstreamLists> {
  const caps = client.getServerCapabilities() ?? {};
  const options = { timeout: timeoutMs };
  const [tools, resources, resourceTemplates, prompts] = await Promise.all([
    caps.tools
      ? collectPages(async (cursor) => {
          const r = await client.listTools({ cursor }, options);
          return { items: r.tools, next: r.nextCursor };
        })
      : [],
    caps.resources
      ? collectPages(async (cursor) => {
          const r = await client.listResources({ cursor }, options);
          return { items: r.resources, next: r.nextCursor };
        })
      : [],
    caps.resources
      ? collectPages(async (cursor) => {
          const r = await client.listResourceTemplates({ cursor }, options);
          return { items: r.resourceTemplates, next: r.nextCursor };
        })
      : [],
    caps.prompts
      ? collectPages(async (cursor) => {
          const r = await client.listPrompts({ cursor }, options);
          return { items: r.prompts, next: r.nextCursor };
        })
      : [],
  ]);
  return { tools, resources, resourceTemplates, prompts };
}
