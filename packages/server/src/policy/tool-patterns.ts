/** Compiles a glob over namespaced names (`*` any run of characters, `?` one character) to a RegExp. */
export function compileToolPattern(pattern: string): RegExp {
  const body = pattern
    .split("")
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`);
}

/** Compiled patterns, since every call checks its key's; bounded so that patterns cannot grow memory forever. */
const compiled = new Map<string, RegExp>();
const MAX_COMPILED = 10_000;

/** True when the namespaced tool name matches the glob. */
export function toolPatternMatches(pattern: string, name: string): boolean {
  let regex = compiled.get(pattern);
  // The cache only saves recompiling and its bound only caps memory: no answer depends on either (equivalent mutants).
  // Stryker disable next-line ConditionalExpression
  if (!regex) {
    // Stryker disable next-line ConditionalExpression,EqualityOperator
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    regex = compileToolPattern(pattern);
    compiled.set(pattern, regex);
  }
  return regex.test(name);
}

/** True when a key's patterns allow the tool; a key without patterns may use every tool. */
export function toolAllowed(patterns: readonly string[] | null | undefined, name: string): boolean {
  if (!patterns || patterns.length === 0) return true;
  return patterns.some((pattern) => toolPatternMatches(pattern, name));
}
