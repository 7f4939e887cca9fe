import type { UpstreamTool } from "@waygate/plugin-sdk/bridge";

/** Search tools whose `query` can reach any repository, and so must be scoped with qualifiers. */
const REPOSITORY_SEARCHES = new Set([
  "search_code",
  "search_issues",
  "search_pull_requests",
  "search_repositories",
]);

const QUALIFIER = /(?:^|[\s(])(-?)(user|org|owner|repo):("?)([^\s")]+)\3/gi;

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Owners a search query names with user:/org:/owner:/repo: qualifiers (negated ones excluded). */
export function queryOwners(query: string): string[] {
  const owners: string[] = [];
  for (const match of query.matchAll(QUALIFIER)) {
    if (match[1] === "-") continue;
    const value = match[4] ?? "";
    owners.push(match[2]?.toLowerCase() === "repo" ? (value.split("/")[0] ?? "") : value);
  }
  return owners;
}

/** Why a call reaches outside `owner`'s repositories, or undefined when it stays inside. */
export function ownerDenyReason(
  owner: string,
  tool: UpstreamTool,
  args: Record<string, unknown>,
): string | undefined {
  const properties = (tool.inputSchema.properties ?? {}) as Record<string, unknown>;
  if ("owner" in properties) {
    if (typeof args.owner !== "string" || args.owner === "") {
      return `'${tool.name}' must name owner '${owner}' (GITHUB_OWNER restricts calls to it)`;
    }
    if (!same(args.owner, owner)) {
      return `owner '${args.owner}' is not allowed: GITHUB_OWNER restricts calls to '${owner}'`;
    }
  }
  if (typeof args.repo === "string" && args.repo.includes("/")) {
    const repoOwner = args.repo.split("/")[0] ?? "";
    if (!same(repoOwner, owner)) {
      return `repository '${args.repo}' is not allowed: GITHUB_OWNER restricts calls to '${owner}'`;
    }
  }
  if (REPOSITORY_SEARCHES.has(tool.name) && typeof args.query === "string") {
    const named = queryOwners(args.query);
    const other = named.find((name) => !same(name, owner));
    if (other !== undefined) {
      return `the query names owner '${other}', but GITHUB_OWNER restricts calls to '${owner}'`;
    }
    // A scoped owner argument (checked above) limits the search; otherwise the query itself must.
    if (named.length === 0 && !("owner" in properties)) {
      return `the query must be scoped to '${owner}' (GITHUB_OWNER): add user:${owner} or org:${owner}`;
    }
  }
  return undefined;
}
