import { describe, expect, it } from "vitest";
import { ownerDenyReason, queryOwners, type UpstreamTool } from "../src/index.js";

const tool = (name: string, properties: UpstreamTool["inputSchema"]["properties"]): UpstreamTool => ({
  name,
  inputSchema: { type: "object", properties },
});
const getFile = tool("get_file_contents", { owner: {}, repo: {}, path: {} });
const searchCode = tool("search_code", { query: {} });
const getMe = tool("get_me", {});

describe("owner scoping", () => {
  it("allows the configured owner, ignoring case", () => {
    expect(ownerDenyReason("acme", getFile, { owner: "ACME", repo: "site" })).toBeUndefined();
  });

  it("denies another owner and says which owner is allowed", () => {
    expect(ownerDenyReason("acme", getFile, { owner: "evil", repo: "site" })).toBe(
      "owner 'evil' is not allowed: GITHUB_OWNER restricts calls to 'acme'",
    );
  });

  it("denies a call that leaves out the owner of a tool that takes one", () => {
    expect(ownerDenyReason("acme", getFile, { repo: "site" })).toMatch(/must name owner 'acme'/);
  });

  it("denies an owner/repo pair in the repo argument that names another owner", () => {
    expect(ownerDenyReason("acme", getFile, { owner: "acme", repo: "evil/site" })).toMatch(
      /repository 'evil\/site' is not allowed/,
    );
  });

  it("lets tools that name no repository through", () => {
    expect(ownerDenyReason("acme", getMe, {})).toBeUndefined();
  });

  it("requires repository searches to be scoped to the owner and rejects any other owner in the query", () => {
    expect(ownerDenyReason("acme", searchCode, { query: "useState repo:acme/site" })).toBeUndefined();
    expect(ownerDenyReason("acme", searchCode, { query: "org:acme language:go" })).toBeUndefined();
    expect(ownerDenyReason("acme", searchCode, { query: "useState" })).toMatch(/add user:acme or org:acme/);
    expect(ownerDenyReason("acme", searchCode, { query: "org:acme OR user:evil" })).toMatch(
      /names owner 'evil'/,
    );
    expect(ownerDenyReason("acme", searchCode, { query: 'repo:"evil/site" org:acme' })).toMatch(
      /names owner 'evil'/,
    );
  });

  it("reads owners from user:, org:, owner: and repo: qualifiers but not negated ones", () => {
    expect(queryOwners("x user:a org:b repo:c/d owner:e -org:f")).toEqual(["a", "b", "c", "e"]);
  });
});
