/** A reference to an environment variable, written `${env:NAME}` (the syntax VS Code and Cursor use). */
const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces every `${env:NAME}` in the strings of `value` (deeply) with the variable's value from `env`. A reference
 * to an unset variable is left as written and its name is returned in `missing` (each name once).
 */
export function resolveEnvReferences<T>(
  value: T,
  env: Readonly<Record<string, string | undefined>>,
): { value: T; missing: string[] } {
  const missing = new Set<string>();
  const walk = (item: unknown): unknown => {
    if (typeof item === "string") {
      return item.replace(ENV_REF, (whole, name: string) => {
        const found = env[name];
        if (found === undefined) missing.add(name);
        return found ?? whole;
      });
    }
    if (Array.isArray(item)) return item.map(walk);
    if (typeof item === "object" && item !== null) {
      return Object.fromEntries(Object.entries(item).map(([key, inner]) => [key, walk(inner)]));
    }
    return item;
  };
  return { value: walk(value) as T, missing: [...missing] };
}
