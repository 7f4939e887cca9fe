import { createHash } from "node:crypto";

/** Separator between the server and the capability name in aggregated names. */
export const NAME_SEPARATOR = "__";
/** Names clients accept (the strictest of the major clients). */
export const NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_NAME_LENGTH = 64;
const HASH_LENGTH = 8;

/** Joins server and name as `<server>__<name>`, shortening with a stable hash when it exceeds 64 characters. */
export function namespacedName(server: string, name: string): string {
  const sanitized = sanitize(name);
  const full = `${server}${NAME_SEPARATOR}${sanitized}`;
  if (full.length <= MAX_NAME_LENGTH && sanitized === name) return full;
  // Altered names get a hash of the original so two different originals cannot meet on one name.
  return `${full.slice(0, MAX_NAME_LENGTH - HASH_LENGTH - 1)}_${hashOf(server, name)}`;
}

function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]/g, "_");
}

function hashOf(server: string, name: string): string {
  return createHash("sha256").update(`${server}\u0000${name}`).digest("hex").slice(0, HASH_LENGTH);
}

/** One entry of a name table: the exposed name and where it leads. */
export interface NameEntry {
  exposed: string;
  server: string;
  original: string;
  shortened: boolean;
}

/** A collision found while building the table: two originals that map to one exposed name. */
export interface NameCollision {
  exposed: string;
  kept: { server: string; original: string };
  dropped: { server: string; original: string };
}

/** A reversible table from exposed names to `{ server, original }`, built fresh for each listing. */
export interface NameTable {
  add(server: string, original: string): NameEntry | undefined;
  resolve(exposed: string): NameEntry | undefined;
  entries(): NameEntry[];
  collisions(): NameCollision[];
}

/** Creates an empty name table; `add` reports a collision instead of silently replacing an entry. */
export function createNameTable(): NameTable {
  const byExposed = new Map<string, NameEntry>();
  const found: NameCollision[] = [];
  return {
    add(server, original) {
      const exposed = namespacedName(server, original);
      const existing = byExposed.get(exposed);
      if (existing) {
        if (existing.server !== server || existing.original !== original) {
          found.push({
            exposed,
            kept: { server: existing.server, original: existing.original },
            dropped: { server, original },
          });
        }
        return undefined;
      }
      const entry = {
        exposed,
        server,
        original,
        shortened: exposed !== `${server}${NAME_SEPARATOR}${original}`,
      };
      byExposed.set(exposed, entry);
      return entry;
    },
    resolve: (exposed) => byExposed.get(exposed),
    entries: () => [...byExposed.values()],
    collisions: () => [...found],
  };
}

/** Splits `<server>__<name>` at the first separator without consulting a table (unshortened names only). */
export function splitNamespacedName(exposed: string): { server: string; name: string } | undefined {
  const at = exposed.indexOf(NAME_SEPARATOR);
  if (at <= 0 || at + NAME_SEPARATOR.length >= exposed.length) return undefined;
  return { server: exposed.slice(0, at), name: exposed.slice(at + NAME_SEPARATOR.length) };
}
