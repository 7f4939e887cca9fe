import type { z } from "zod";
import { BridgeConfigError } from "./bridge-errors.js";

/** The environment, as `process.env` holds it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** How one setting is read from the environment, and what to tell a person who got it wrong. */
export interface EnvField {
  variable: string;
  /** Parses the variable's text; comma lists and booleans are the common cases. */
  kind: "string" | "boolean" | "list" | "words" | "integer";
  /** What to set, e.g. "set GITHUB_OWNER to your organization's login". */
  hint: string;
}

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off"]);

function fromText(text: string, kind: EnvField["kind"]): unknown {
  const trimmed = text.trim();
  switch (kind) {
    case "boolean":
      if (TRUE.has(trimmed.toLowerCase())) return true;
      return FALSE.has(trimmed.toLowerCase()) ? false : trimmed;
    case "list":
      return trimmed
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item !== "");
    case "words":
      return trimmed.split(/\s+/).filter((word) => word !== "");
    case "integer":
      return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
    default:
      return trimmed;
  }
}

/** Reads the fields that are set (and not blank) in `env`, keyed by setting name. */
export function readEnvFields(env: Env, fields: Record<string, EnvField>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(fields)) {
    const text = env[field.variable];
    if (text !== undefined && text.trim() !== "") input[key] = fromText(text, field.kind);
  }
  return input;
}

/** Validates settings; every issue is listed with its variable (and option) name and what to set. */
export function parseBridgeSettings<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  fields: Record<string, EnvField>,
  bridge: string,
): z.output<Schema> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const variables: string[] = [];
  const lines = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? "");
    const field = fields[key];
    if (!field) return `${key || "settings"}: ${issue.message}`;
    variables.push(field.variable);
    return `${field.variable} (option '${key}'): ${issue.message}; ${field.hint}`;
  });
  throw new BridgeConfigError(`Invalid settings for the ${bridge} bridge: ${lines.join("; ")}`, {
    variables,
  });
}
