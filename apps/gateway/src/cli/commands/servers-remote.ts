import type { GatewayConfig } from "../../config/load.js";
import { CliError } from "../../errors.js";
import type { CommandContext } from "../context.js";

/** How long the CLI waits for a running gateway to restart a server (its start-up included). */
export const RELOAD_TIMEOUT_MS = 120_000;

/** The running gateway's base URL: `--url`, or where this config makes it listen (wildcards asked on loopback). */
export function gatewayBaseUrl(config: Pick<GatewayConfig, "host" | "port">, url: string | undefined): URL {
  if (url !== undefined) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:"))
      throw new CliError(
        "usage",
        `--url must be the http(s) URL of a running gateway, e.g. http://127.0.0.1:3000, not "${url}"`,
      );
    return parsed;
  }
  const host = ["0.0.0.0", "::", ""].includes(config.host) ? "127.0.0.1" : config.host;
  return new URL(`http://${host.includes(":") ? `[${host}]` : host}:${config.port}`);
}

/** What the gateway's error body says, when it is one. */
async function errorMessageOf(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    const message = typeof body.error === "string" ? body.error : (body.error?.message ?? body.message);
    if (message) return message;
  } catch {
    // Not JSON: the raw text says it.
  }
  return text.slice(0, 200) || response.statusText;
}

/**
 * Asks a running gateway to restart one server (`POST /mcp/servers/:name/reload`: stop, then start it again
 * from its current definition) with `WAYGATE_API_KEY` (admin scope), and returns the server's status after.
 */
export async function reloadOnGateway(
  context: CommandContext,
  base: URL,
  name: string,
): Promise<Record<string, unknown>> {
  const key = context.io.env.WAYGATE_API_KEY;
  const endpoint = new URL(
    `mcp/servers/${encodeURIComponent(name)}/reload`,
    base.href.endsWith("/") ? base : `${base.href}/`,
  );
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      headers: key ? { authorization: `Bearer ${key}` } : {},
      signal: AbortSignal.timeout(RELOAD_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new CliError(
      "failed",
      `no gateway answered at ${base.origin} (${cause}): start it with \`waygate start\`, or point --url at the running one`,
      { cause: error },
    );
  }
  if (response.status === 401 || response.status === 403) {
    throw new CliError(
      "failed",
      `${base.origin} refused the request (${response.status}: ${await errorMessageOf(response)}): set WAYGATE_API_KEY to a key with the admin scope (\`waygate keys create --scopes admin\`)`,
    );
  }
  if (response.status === 404) {
    throw new CliError(
      "not_found",
      `the gateway at ${base.origin} has no server named "${name}" (${await errorMessageOf(response)}): see \`waygate servers list\``,
    );
  }
  if (!response.ok) {
    throw new CliError(
      "failed",
      `${base.origin} could not reload "${name}" (${response.status}): ${await errorMessageOf(response)}`,
    );
  }
  const body = (await response.json()) as { server?: Record<string, unknown> };
  return body.server ?? {};
}

/** How long `servers list` waits for a running gateway before showing the recorded states instead. */
export const LIVE_STATE_TIMEOUT_MS = 3_000;

/** A server's state as a running gateway reports it. */
export interface LiveState {
  state: string;
  lastError?: string;
}

/**
 * Asks a running gateway for every server's state (`GET /admin/servers` with `WAYGATE_API_KEY`, admin scope). Returns
 * the states by name, or why they could not be had (no gateway answered, the key was refused, …).
 */
export async function liveStates(
  context: CommandContext,
  base: URL,
): Promise<{ states: Map<string, LiveState> } | { unavailable: string }> {
  const key = context.io.env.WAYGATE_API_KEY;
  const endpoint = new URL("admin/servers", base.href.endsWith("/") ? base : `${base.href}/`);
  let response: Response;
  try {
    response = await fetch(endpoint, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
      signal: AbortSignal.timeout(LIVE_STATE_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return { unavailable: `no gateway answered at ${base.origin} (${cause})` };
  }
  if (!response.ok) {
    const hint =
      response.status === 401 || response.status === 403
        ? "; set WAYGATE_API_KEY to a key with the admin scope for the live state"
        : "";
    return {
      unavailable: `${base.origin} answered ${response.status} (${await errorMessageOf(response)})${hint}`,
    };
  }
  const body = (await response.json().catch(() => ({}))) as {
    servers?: { name: string; state: string; lastError?: { message?: string } }[];
  };
  return {
    states: new Map(
      (body.servers ?? []).map((server) => [
        server.name,
        {
          state: server.state,
          ...(server.lastError?.message ? { lastError: server.lastError.message } : {}),
        },
      ]),
    ),
  };
}
