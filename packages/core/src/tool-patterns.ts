import { z } from "zod";

/** A tool name or a pattern with `*` wildcards, e.g. `github__*` or `*`. */
export const ToolPatternSchema = z
  .string()
  .regex(/^[a-zA-Z0-9_*.:-]{1,128}$/, "must be 1-128 characters of letters, digits, _ - . : and * wildcards");

/** True when `toolName` matches `pattern`, where `*` stands for any run of characters. */
export function toolPatternMatches(pattern: string, toolName: string): boolean {
  if (pattern === "*") return true;
  if (!pattern.includes("*")) return pattern === toolName;
  const parts = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`).test(toolName);
}
