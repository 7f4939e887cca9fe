import type { BridgePolicy } from "@waygate/plugin-sdk/bridge";
import { ownerDenyReason } from "./owner-scope.js";
import { isReadOnlyTool } from "./read-only-tools.js";
import type { GithubBridgeSettings } from "./settings.js";

/** The GitHub bridge's policy: read-only tools unless GITHUB_READ_ONLY=false, calls kept to GITHUB_OWNER. */
export function githubPolicy(settings: Pick<GithubBridgeSettings, "readOnly" | "owner">): BridgePolicy {
  return {
    hideReason(tool) {
      if (!settings.readOnly || isReadOnlyTool(tool)) return undefined;
      return `'${tool.name}' can write to GitHub and the bridge is read-only; set GITHUB_READ_ONLY=false to expose it`;
    },
    denyReason(tool, args) {
      return settings.owner === undefined ? undefined : ownerDenyReason(settings.owner, tool, args);
    },
  };
}
