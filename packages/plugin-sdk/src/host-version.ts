import { HostVersionError } from "./errors.js";

type Version = [number, number, number];

function parseVersion(text: string): Version | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function caretUpperBound([major, minor, patch]: Version): Version {
  if (major > 0) return [major + 1, 0, 0];
  if (minor > 0) return [0, minor + 1, 0];
  return [0, 0, patch + 1];
}

function satisfiesComparator(version: Version, comparator: string): boolean {
  if (comparator === "*" || comparator === "") return true;
  const match = /^(\^|~|>=|<=|>|<|=)?(.+)$/.exec(comparator);
  const bound = match ? parseVersion(match[2] ?? "") : undefined;
  if (!match || !bound) throw new HostVersionError(`Unsupported version range element '${comparator}'`);
  const cmp = compare(version, bound);
  switch (match[1]) {
    case "^":
      return cmp >= 0 && compare(version, caretUpperBound(bound)) < 0;
    case "~":
      return cmp >= 0 && compare(version, [bound[0], bound[1] + 1, 0]) < 0;
    case ">=":
      return cmp >= 0;
    case "<=":
      return cmp <= 0;
    case ">":
      return cmp > 0;
    case "<":
      return cmp < 0;
    default:
      return cmp === 0;
  }
}

/**
 * True if `version` is inside `range`. Supports the subset of semver ranges plugins need:
 * `*`, `1.2.3`, `^1.2.3`, `~1.2.3`, comparators (`>=1.0.0 <2.0.0`) and `||` alternatives.
 */
export function satisfiesVersionRange(version: string, range: string): boolean {
  const parsed = parseVersion(version);
  if (!parsed) throw new HostVersionError(`Host version '${version}' is not a semver version`);
  return range.split("||").some((alternative) =>
    alternative
      .trim()
      .split(/\s+/)
      .every((comparator) => satisfiesComparator(parsed, comparator)),
  );
}

/** Throws a HostVersionError unless the host version is in the plugin's declared range. */
export function assertHostVersionSupported(
  pluginName: string,
  range: string | undefined,
  hostVersion: string | undefined,
): void {
  if (range === undefined || hostVersion === undefined) return;
  if (!satisfiesVersionRange(hostVersion, range)) {
    throw new HostVersionError(
      `Plugin '${pluginName}' supports host versions '${range}' but this host is ${hostVersion}`,
    );
  }
}
