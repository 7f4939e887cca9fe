import { isDeepStrictEqual } from "node:util";
import type { StdioAllowlistEntry } from "@waygate/core";
import { ForbiddenError } from "../errors/errors.js";

/** A stdio server as an admin request gives it; `cwd` and `env` are undefined when the request leaves them out. */
export interface StdioRequest {
  command: string;
  args: readonly string[];
  cwd?: string | undefined;
  env?: Readonly<Record<string, string>> | undefined;
}

/** What an admitted request runs: always the entry's command, args, cwd and env. */
export interface AdmittedStdio {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

/**
 * Admits a stdio server from the HTTP admin API only as an entry of the operator's allowlist: the argv array must
 * equal an entry's, and a cwd or env the request gives must equal that entry's. Throws a 403 naming what differs.
 */
export function admitStdioServer(
  allowlist: readonly StdioAllowlistEntry[],
  request: StdioRequest,
): AdmittedStdio {
  const argv = [request.command, ...request.args];
  const candidates = allowlist.filter((entry) => isDeepStrictEqual([entry.command, ...entry.args], argv));
  if (candidates.length === 0) {
    throw new ForbiddenError(
      `Stdio servers can be added over HTTP only as an entry of the operator's stdioAllowlist; no entry has the command and args ${JSON.stringify(argv)}. Add the server in the config file instead.`,
    );
  }
  const differences = candidates.map((entry) => differencesFrom(entry, request));
  const index = differences.findIndex((found) => found.length === 0);
  const entry = candidates[index];
  if (entry) {
    return {
      command: entry.command,
      args: [...entry.args],
      env: { ...entry.env },
      ...(entry.cwd === undefined ? {} : { cwd: entry.cwd }),
    };
  }
  throw new ForbiddenError(
    `The stdioAllowlist entry for ${JSON.stringify(argv)} fixes cwd and env: ${differences[0]?.join("; ")}. Leave env and cwd out to use the entry's, or change the entry in the config file.`,
  );
}

/** What a request changes of an entry, one phrase each; never a value (env values may be secrets). */
function differencesFrom(entry: StdioAllowlistEntry, request: StdioRequest): string[] {
  const found: string[] = [];
  if (request.cwd !== undefined && request.cwd !== entry.cwd) {
    found.push(
      entry.cwd === undefined
        ? `cwd '${request.cwd}' is given but the entry sets none`
        : `cwd '${request.cwd}' differs from the entry's '${entry.cwd}'`,
    );
  }
  if (request.env !== undefined) {
    for (const [name, value] of Object.entries(request.env)) {
      if (!Object.hasOwn(entry.env, name)) found.push(`env ${name} is not in the entry`);
      else if (entry.env[name] !== value) found.push(`env ${name} differs from the entry's value`);
    }
    for (const name of Object.keys(entry.env)) {
      if (!Object.hasOwn(request.env, name)) found.push(`env ${name} is missing (the entry sets it)`);
    }
  }
  return found;
}
