import type { z } from "zod";
import type { ConfigIssue } from "../errors.js";

/** Joins a zod issue path the way a person writes it: `mcpServers.github.args[0]`. */
export function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out || "(root)";
}

/** A fix for a zod issue in the config file, from what kind of issue it is. */
function fixFor(issue: z.core.$ZodIssue, path: string): string {
  switch (issue.code) {
    case "unrecognized_keys":
      return `remove ${issue.keys.map((key) => `"${key}"`).join(", ")} from ${path}, or check the spelling`;
    case "invalid_type":
      return issue.input === undefined
        ? `add ${path} (${issue.expected})`
        : `change ${path} to a ${issue.expected}`;
    case "invalid_value":
      return `use one of: ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    case "invalid_key":
      return "rename the server to 1-64 letters, digits, '_' or '-' (no '__'), e.g. my-server";
    case "invalid_union":
      return "give a local server a `command` (with optional `args` and `env`), or a remote one a `url`";
    default:
      return `correct ${path} as the message says`;
  }
}

/** Converts zod issues into config issues, each with a path under `prefix` and a fix. */
export function toConfigIssues(error: z.ZodError, prefix: string): ConfigIssue[] {
  return error.issues.map((issue) => {
    const path = formatPath(prefix, issue.path);
    return { path, message: issue.message, fix: fixFor(issue, path) };
  });
}
