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

/**
 * The release line an unreleased host is checked as. Every workspace package stays at `0.0.0` until
 * changesets cuts the first release, which is 0.1.0; plugins written against this SDK declare that line
 * (`>=0.1.0 <1.0.0`, `^0.1.0`), so a `0.0.0` host built from the workspace must accept them.
 */
export const UNRELEASED_HOST_CHECKED_AS = "0.1.0";

/**
 * The version a host is checked as: its own, except that `0.0.0` and its pre-releases
 * (`0.0.0-snapshot-…`), which only an unreleased workspace build carries, count as {@link UNRELEASED_HOST_CHECKED_AS}.
 */
export function effectiveHostVersion(hostVersion: string): string {
  return /^v?0\.0\.0(?:$|[-+])/.test(hostVersion.trim()) ? UNRELEASED_HOST_CHECKED_AS : hostVersion;
}

/** Throws a HostVersionError unless the host version is in the plugin's declared range. */
export function assertHostVersionSupported(
  pluginName: string,
  range: string | undefined,
  hostVersion: string | undefined,
): void {
  if (range === undefined || hostVersion === undefined) return;
  const checkedAs = effectiveHostVersion(hostVersion);
  if (!satisfiesVersionRange(checkedAs, range)) {
    const shown =
      checkedAs === hostVersion
        ? hostVersion
        : `${hostVersion} (an unreleased build, checked as ${checkedAs})`;
    throw new HostVersionError(
      `Plugin '${pluginName}' supports host versions '${range}' but this host is ${shown}`,
    );
  }
}
