import { GatewayError } from "../errors/errors.js";

/** The parts of an authorization server's metadata (RFC 8414 / OpenID Connect discovery) the gateway reads. */
export interface IssuerMetadata {
  issuer: string;
  jwks_uri?: string;
  introspection_endpoint?: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
}

/**
 * Where an issuer's metadata may be, in the order MCP clients try them: RFC 8414 with the path inserted, OpenID
 * Connect discovery with the path inserted, then appended.
 */
export function metadataUrlsOf(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  return [
    new URL(`/.well-known/oauth-authorization-server${path}`, url).href,
    new URL(`/.well-known/openid-configuration${path}`, url).href,
    ...(path ? [new URL(`${path}/.well-known/openid-configuration`, url).href] : []),
  ];
}

/** The issuer could not be reached or answered with something unusable; tokens cannot be checked now. */
export function issuerUnavailable(message: string, cause?: unknown): GatewayError {
  return new GatewayError("issuer_unavailable", message, cause === undefined ? undefined : { cause });
}

/**
 * Fetches the issuer's metadata from the first well-known location that has it. The document's `issuer` must equal
 * the configured one (RFC 8414 §3.3), so a look-alike document cannot redirect key discovery.
 */
export async function discoverIssuer(issuer: string, timeoutMs: number): Promise<IssuerMetadata> {
  const problems: string[] = [];
  for (const url of metadataUrlsOf(issuer)) {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: "application/json" },
        redirect: "error",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      problems.push(`${url}: ${(error as Error).message}`);
      continue;
    }
    if (!response.ok) {
      problems.push(`${url}: HTTP ${response.status}`);
      continue;
    }
    const document = (await response.json().catch(() => null)) as Partial<IssuerMetadata> | null;
    if (document?.issuer !== issuer) {
      problems.push(`${url}: its issuer is ${JSON.stringify(document?.issuer)}, not ${issuer}`);
      continue;
    }
    return document as IssuerMetadata;
  }
  throw issuerUnavailable(
    `The OAuth issuer's metadata could not be read (oauth.issuer ${issuer}): ${problems.join("; ")}`,
  );
}
