import type { CallToolResult, Tool } from "@modelcontextprotocol/client";
import { errorResult } from "../results.js";

/** A tool as an upstream lists it. */
export type UpstreamTool = Tool;
/** What a tool call returns. */
export type ToolCallResult = CallToolResult;

/** What a bridge lets through to its upstream: checked before anything is sent. */
export interface BridgePolicy {
  /** Why a listed tool is hidden from callers, or undefined to expose it. */
  hideReason(tool: UpstreamTool): string | undefined;
  /** Why a call to an exposed tool is denied, or undefined to forward it. */
  denyReason(tool: UpstreamTool, args: Record<string, unknown>): string | undefined;
  /** The arguments to forward for an allowed call (e.g. with defaults filled in); unchanged when absent. */
  prepareArgs?(tool: UpstreamTool, args: Record<string, unknown>): Record<string, unknown>;
}

/** `_meta` key marking a result as a policy denial, so a host can audit it as "denied" rather than "error". */
export const DENIED_META_KEY = "waygate/denied";

/** The tool error a denied call gets: the reason in text, and the denial marked in `_meta`. */
export function deniedResult(bridge: string, reason: string): ToolCallResult {
  return {
    ...errorResult(`Denied by the '${bridge}' bridge: ${reason}`),
    _meta: { [DENIED_META_KEY]: { bridge, reason } },
  };
}

/** Why the policy refuses a call to `name` (including tools the upstream lacks or hides), or undefined. */
export function policyDenyReason(
  policy: BridgePolicy,
  tool: UpstreamTool | undefined,
  name: string,
  args: Record<string, unknown>,
): string | undefined {
  if (!tool) return `the upstream has no tool '${name}'`;
  return policy.hideReason(tool) ?? policy.denyReason(tool, args);
}
