import { z } from "zod";
import { PluginInvalidError, ToolNameError } from "./errors.js";
import { formatZodIssues } from "./zod-issues.js";

/** Tool names every major MCP client accepts. */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** Schema of a plugin's metadata; the name becomes the `<plugin>__` prefix of its tools. */
export const PluginMetadataSchema = z.object({
  name: z
    .string()
    .regex(
      /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$/,
      "must be 1-64 letters, digits, '_' or '-', starting alphanumeric",
    )
    .refine((name) => !name.includes("__"), "must not contain '__' (it separates plugin and tool names)"),
  version: z.string().regex(SEMVER, "must be a semver version such as 1.0.0"),
  description: z.string().max(1024).optional(),
  /** Host versions this plugin supports, as a range such as ">=0.1.0 <2.0.0" or "^1.2.0". */
  hostVersions: z.string().optional(),
});

/** A plugin's metadata: name, version, description and supported host versions. */
export type PluginMetadata = z.infer<typeof PluginMetadataSchema>;

/** Validates plugin metadata, throwing a PluginInvalidError that names each bad field. */
export function validatePluginMetadata(metadata: unknown): PluginMetadata {
  const parsed = PluginMetadataSchema.safeParse(metadata);
  if (!parsed.success) {
    throw new PluginInvalidError(`Invalid plugin metadata: ${formatZodIssues(parsed.error.issues)}`);
  }
  return parsed.data;
}

/** Throws a ToolNameError if any name breaks the MCP name rule or repeats. */
export function assertValidToolNames(pluginName: string, names: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (!TOOL_NAME_PATTERN.test(name)) {
      throw new ToolNameError(
        `Plugin '${pluginName}' declares tool '${name}': tool names must match ^[a-zA-Z0-9_-]{1,64}$`,
      );
    }
    if (seen.has(name)) {
      throw new ToolNameError(`Plugin '${pluginName}' declares tool '${name}' twice`);
    }
    seen.add(name);
  }
}
