import type { ConfigIssue } from "../errors.js";

/** A reference to an environment variable, written `${env:NAME}` (the syntax VS Code and Cursor use). */
const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** True if the string holds at least one `${env:NAME}` reference. */
export function hasEnvReference(value: string): boolean {
  return new RegExp(ENV_REF.source).test(value);
}

/**
 * Replaces every `${env:NAME}` in the strings of `value` (deeply) with the variable's value;
 * a reference to an unset variable becomes an issue naming the path and the variable.
 */
export function resolveEnvReferences(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  path: string,
  issues: ConfigIssue[],
): unknown {
  if (typeof value === "string") {
    return value.replace(ENV_REF, (whole, name: string) => {
      const found = env[name];
      if (found === undefined) {
        issues.push({
          path,
          message: `refers to the environment variable ${name}, which is not set`,
          fix: `set ${name} in the gateway's environment, or write the value inline instead of ${whole}`,
        });
        return whole;
      }
      return found;
    });
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => resolveEnvReferences(item, env, `${path}[${index}]`, issues));
  }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        resolveEnvReferences(item, env, path ? `${path}.${key}` : key, issues),
      ]),
    );
  }
  return value;
}
