import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, errors, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createAccessTokenVerifier,
  introspectionVerifier,
  jwtVerifier,
  refusalOf,
  scopesOf,
  verified,
} from "../src/auth/access-token.js";
import { type OAuthOptions, OAuthOptionsSchema } from "../src/auth/oauth-options.js";
import { AuthError, GatewayError } from "../src/errors/errors.js";

// Token verification on its own, against a real issuer on loopback: a node:http server that publishes metadata
// (RFC 8414), a JWKS and an introspection endpoint (RFC 7662), and records what the gateway asked it. Tokens are
// signed with jose, as a real issuer signs them. The gateway-level tests (oauth.test.ts) drive the same code through
// HTTP with a full OpenID provider.

const AUDIENCE = "https://gateway.example.test/mcp";
const OTHER = "https://gateway.example.test/servers/local/mcp";

interface Issuer {
  url: string;
  /** Paths asked, in order. */
  asked: string[];
  /** Introspection requests: their headers and form. */
  introspections: { headers: IncomingMessage["headers"]; form: URLSearchParams; method: string }[];
  /** The metadata document (`issuer` is set by the server); a number answers with that status instead. */
  metadata: Record<string, unknown> | number;
  /** The introspection answer; a number answers with that status instead. */
  introspection: Record<string, unknown> | number;
  jwks: { keys: JWK[] };
}

let issuer: Issuer;
let server: Server;
let signingKey: CryptoKey;
let publicJwk: JWK;

const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  const pair = await generateKeyPair("RS256");
  signingKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  issuer = {
    url: "",
    asked: [],
    introspections: [],
    metadata: {},
    introspection: {},
    jwks: { keys: [] },
  };
  server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", issuer.url).pathname;
    issuer.asked.push(path);
    const answer = (body: Record<string, unknown> | number) => {
      if (typeof body === "number") res.writeHead(body).end();
      else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    if (path === "/.well-known/oauth-authorization-server")
      answer(
        typeof issuer.metadata === "number" ? issuer.metadata : { issuer: issuer.url, ...issuer.metadata },
      );
    else if (path === "/jwks") answer(issuer.jwks);
    else if (path === "/moved") res.writeHead(302, { location: `${issuer.url}/introspect` }).end();
    else if (path === "/introspect") {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on("end", () => {
        issuer.introspections.push({
          headers: req.headers,
          form: new URLSearchParams(body),
          method: req.method ?? "",
        });
        answer(issuer.introspection);
      });
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  issuer.asked = [];
  issuer.introspections = [];
  issuer.metadata = { jwks_uri: `${issuer.url}/jwks`, introspection_endpoint: `${issuer.url}/introspect` };
  issuer.introspection = { active: true, sub: "alice", aud: AUDIENCE, iss: issuer.url, scope: "a b" };
  issuer.jwks = { keys: [publicJwk] };
});

function options(extra: Record<string, unknown> = {}): OAuthOptions {
  return OAuthOptionsSchema.parse({
    issuer: issuer.url,
    publicUrl: "https://gateway.example.test",
    jwksCooldownMs: 0,
    clockSkewSeconds: 30,
    ...extra,
  }) as OAuthOptions;
}

function sign(claims: Record<string, unknown>, header: { kid?: string } = {}) {
  return new SignJWT({ scope: "waygate:tools:call", ...claims })
    .setProtectedHeader({ alg: "RS256", kid: header.kid ?? "k1" })
    .sign(signingKey);
}

const good = () => ({ iss: issuer.url, aud: AUDIENCE, sub: "alice", exp: now() + 300 });

async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!GatewayError.isInstance(error)) throw new Error(`expected a gateway error, got ${String(error)}`);
  return error;
}

function expectRefused(error: GatewayError, reason: string, message: string) {
  expect(error).toBeInstanceOf(AuthError);
  expect(error.code).toBe("unauthenticated");
  expect(error.details).toEqual({ reason, oauth: "invalid_token" });
  expect(error.message).toBe(`Access token refused: ${message}`);
}

describe("scopes and identity of a verified token", () => {
  it("reads space-separated scopes from scope, skipping empty entries", () => {
    expect(scopesOf({ scope: "  a   b " })).toEqual(["a", "b"]);
  });

  it("reads scp as a string or an array (non-strings dropped), and prefers scope", () => {
    expect(scopesOf({ scp: "x y" })).toEqual(["x", "y"]);
    expect(scopesOf({ scp: ["x", 7, "y", null] })).toEqual(["x", "y"]);
    expect(scopesOf({ scope: "a", scp: "x" })).toEqual(["a"]);
    expect(scopesOf({ scope: 5 })).toEqual([]);
    expect(scopesOf({})).toEqual([]);
  });

  it("takes the client from client_id, else azp, else appid, skipping claims that are not strings", () => {
    expect(verified({ sub: "s", client_id: "c", azp: "z", appid: "p" }, "iss").clientId).toBe("c");
    expect(verified({ sub: "s", client_id: 1, azp: "z", appid: "p" }, "iss").clientId).toBe("z");
    expect(verified({ sub: "s", appid: "p" }, "iss").clientId).toBe("p");
    expect(verified({ sub: "s" }, "iss").clientId).toBeNull();
  });

  it("keeps issuer, subject, client, scopes and every claim", () => {
    const claims = { sub: "alice", client_id: "cli", scope: "a b", groups: ["ops"] };
    expect(verified(claims, "https://idp.test")).toEqual({
      issuer: "https://idp.test",
      subject: "alice",
      clientId: "cli",
      scopes: ["a", "b"],
      claims,
    });
  });

  it("lets a client-credentials token without a subject act as its client", () => {
    expect(verified({ client_id: "robot" }, "iss").subject).toBe("robot");
    expect(verified({ sub: "", azp: "robot" }, "iss").subject).toBe("robot");
    expect(verified({ sub: 42, azp: "robot" }, "iss").subject).toBe("robot");
  });

  it("refuses a token naming neither a subject nor a client", () => {
    let thrown: unknown;
    try {
      verified({ sub: "", scope: "a" }, "iss");
    } catch (error) {
      thrown = error;
    }
    expectRefused(thrown as GatewayError, "no_subject", "the token names no subject (sub) and no client");
  });
});

describe("what each verification failure becomes", () => {
  const claimFailure = (claim: string) =>
    new errors.JWTClaimValidationFailed("bad", {}, claim, "check_failed");

  it.each([
    [
      "an expired token",
      new errors.JWTExpired("expired", {}, "exp", "check_failed"),
      "expired",
      "it has expired",
    ],
    ["a bad nbf", claimFailure("nbf"), "not_yet_valid", "it is not valid yet"],
    ["a bad iat", claimFailure("iat"), "not_yet_valid", "it is not valid yet"],
    ["a bad aud", claimFailure("aud"), "wrong_audience", "its audience is not this endpoint of the gateway"],
    ["a bad iss", claimFailure("iss"), "wrong_issuer", "it was issued by another issuer"],
    ["a missing exp", claimFailure("exp"), "malformed", "its 'exp' claim is invalid"],
    [
      "an algorithm not allowed",
      new errors.JOSEAlgNotAllowed("no"),
      "alg_not_allowed",
      "its signature algorithm is not accepted",
    ],
    [
      "an unsupported algorithm",
      new errors.JOSENotSupported("no"),
      "alg_not_allowed",
      "its signature algorithm is not accepted",
    ],
    [
      "no matching key",
      new errors.JWKSNoMatchingKey(),
      "unknown_key",
      "no key of the issuer matches its signature key (kid)",
    ],
    [
      "several matching keys",
      new errors.JWKSMultipleMatchingKeys(),
      "unknown_key",
      "no key of the issuer matches its signature key (kid)",
    ],
    [
      "a bad signature",
      new errors.JWSSignatureVerificationFailed(),
      "bad_signature",
      "its signature does not verify",
    ],
    ["a malformed JWS", new errors.JWSInvalid("x"), "malformed", "it is not a well-formed JWT"],
    ["a malformed JWT", new errors.JWTInvalid("x"), "malformed", "it is not a well-formed JWT"],
  ])("refuses %s", (_name, error, reason, message) => {
    expectRefused(refusalOf(error) as GatewayError, reason, message);
  });

  it("passes the gateway's own errors through", () => {
    const auth = new AuthError("already refused");
    expect(refusalOf(auth)).toBe(auth);
    const unavailable = new GatewayError("issuer_unavailable", "down");
    expect(refusalOf(unavailable)).toBe(unavailable);
  });

  it("reads anything else as the issuer's keys being unavailable, keeping the cause", () => {
    const cause = new Error("connect ECONNREFUSED 127.0.0.1:1");
    const error = refusalOf(cause) as GatewayError;
    expect(error.code).toBe("issuer_unavailable");
    expect(error.message).toBe(
      "The OAuth issuer's keys could not be fetched: connect ECONNREFUSED 127.0.0.1:1",
    );
    expect(error.cause).toBe(cause);
    expect(refusalOf("socket hang up").message).toBe(
      "The OAuth issuer's keys could not be fetched: socket hang up",
    );
  });
});

describe("JWT access tokens", () => {
  it("verifies a token with keys found through the issuer's metadata, read once", async () => {
    const verifier = jwtVerifier(options());
    const token = await sign({ ...good(), client_id: "cli" });
    await expect(verifier.verify(token, [AUDIENCE])).resolves.toMatchObject({
      issuer: issuer.url,
      subject: "alice",
      clientId: "cli",
      scopes: ["waygate:tools:call"],
    });
    await verifier.verify(token, [AUDIENCE]);
    expect(issuer.asked.filter((p) => p.startsWith("/.well-known"))).toEqual([
      "/.well-known/oauth-authorization-server",
    ]);
    expect(issuer.asked.filter((p) => p === "/jwks")).toHaveLength(1);
  });

  it("uses the configured JWKS without asking for metadata", async () => {
    issuer.metadata = 500;
    const verifier = jwtVerifier(options({ jwksUri: `${issuer.url}/jwks` }));
    await expect(verifier.verify(await sign(good()), [AUDIENCE])).resolves.toMatchObject({
      subject: "alice",
    });
    expect(issuer.asked).toEqual(["/jwks"]);
  });

  it("accepts any of the endpoint's audiences and refuses a token for another", async () => {
    const verifier = jwtVerifier(options());
    const token = await sign({ ...good(), aud: OTHER });
    await expect(verifier.verify(token, [AUDIENCE, OTHER])).resolves.toMatchObject({ subject: "alice" });
    expectRefused(
      await rejection(verifier.verify(token, [AUDIENCE])),
      "wrong_audience",
      "its audience is not this endpoint of the gateway",
    );
  });

  it("refuses another issuer's token, one without exp, and one past exp beyond the allowed skew", async () => {
    const verifier = jwtVerifier(options());
    expectRefused(
      await rejection(verifier.verify(await sign({ ...good(), iss: "https://impostor.test" }), [AUDIENCE])),
      "wrong_issuer",
      "it was issued by another issuer",
    );
    const { exp: _exp, ...noExp } = good();
    expectRefused(
      await rejection(verifier.verify(await sign(noExp), [AUDIENCE])),
      "malformed",
      "its 'exp' claim is invalid",
    );
    expectRefused(
      await rejection(verifier.verify(await sign({ ...good(), exp: now() - 120 }), [AUDIENCE])),
      "expired",
      "it has expired",
    );
    // Within the 30 s skew: accepted.
    await expect(
      verifier.verify(await sign({ ...good(), exp: now() - 5 }), [AUDIENCE]),
    ).resolves.toMatchObject({
      subject: "alice",
    });
  });

  it("refuses an algorithm the options do not list", async () => {
    const verifier = jwtVerifier(options({ algorithms: ["ES256"] }));
    expectRefused(
      await rejection(verifier.verify(await sign(good()), [AUDIENCE])),
      "alg_not_allowed",
      "its signature algorithm is not accepted",
    );
  });

  it("says so when the issuer publishes no JWKS, naming the setting", async () => {
    issuer.metadata = {};
    const error = await rejection(jwtVerifier(options()).verify(await sign(good()), [AUDIENCE]));
    expect(error.code).toBe("issuer_unavailable");
    expect(error.message).toBe(`The OAuth issuer ${issuer.url} publishes no jwks_uri; set oauth.jwksUri`);
  });

  it("reads the metadata again after it could not be read", async () => {
    issuer.metadata = 503;
    const verifier = jwtVerifier(options());
    const token = await sign(good());
    expect((await rejection(verifier.verify(token, [AUDIENCE]))).code).toBe("issuer_unavailable");
    issuer.metadata = { jwks_uri: `${issuer.url}/jwks` };
    await expect(verifier.verify(token, [AUDIENCE])).resolves.toMatchObject({ subject: "alice" });
  });

  it("answers issuer_unavailable when the key set cannot be fetched", async () => {
    const verifier = jwtVerifier(options({ jwksUri: `${issuer.url}/missing` }));
    const error = await rejection(verifier.verify(await sign(good()), [AUDIENCE]));
    expect(error.code).toBe("issuer_unavailable");
    expect(error.message).toMatch(/^The OAuth issuer's keys could not be fetched: /);
  });

  it("is what the options give without introspection", async () => {
    const verifier = createAccessTokenVerifier(options());
    await expect(verifier.verify(await sign(good()), [AUDIENCE])).resolves.toMatchObject({
      subject: "alice",
    });
    expect(issuer.introspections).toEqual([]);
  });
});

describe("introspection (RFC 7662)", () => {
  // Without the answer cache: these tests change the issuer's answer for one token between calls
  // (introspection-cache.test.ts covers the cache).
  const introspecting = (extra: Record<string, unknown> = {}) =>
    options({
      introspection: { clientId: "gateway:1", clientSecret: "s3cret/é", cache: { maxEntries: 0 }, ...extra },
    });

  it("asks the discovered endpoint with form-encoded Basic credentials and the token as a form", async () => {
    const verifier = createAccessTokenVerifier(introspecting());
    await expect(verifier.verify("opaque-token", [AUDIENCE])).resolves.toEqual({
      issuer: issuer.url,
      subject: "alice",
      clientId: null,
      scopes: ["a", "b"],
      claims: issuer.introspection,
    });
    expect(issuer.introspections).toHaveLength(1);
    const [asked] = issuer.introspections;
    expect(asked!.method).toBe("POST");
    expect(asked!.headers.authorization).toBe(
      `Basic ${Buffer.from("gateway%3A1:s3cret%2F%C3%A9").toString("base64")}`,
    );
    expect(asked!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(asked!.headers.accept).toBe("application/json");
    expect(Object.fromEntries(asked!.form)).toEqual({
      token: "opaque-token",
      token_type_hint: "access_token",
    });
    // The metadata is read once.
    await verifier.verify("opaque-token", [AUDIENCE]);
    expect(issuer.asked.filter((p) => p.startsWith("/.well-known"))).toHaveLength(1);
  });

  it("uses the configured endpoint without asking for metadata", async () => {
    issuer.metadata = 500;
    const verifier = introspectionVerifier(introspecting({ endpoint: `${issuer.url}/introspect` }));
    await expect(verifier.verify("t", [AUDIENCE])).resolves.toMatchObject({ subject: "alice" });
    expect(issuer.asked).toEqual(["/introspect"]);
  });

  it("needs introspection settings", () => {
    expect(() => introspectionVerifier(options())).toThrow("introspectionVerifier needs oauth.introspection");
  });

  it("says so when the issuer publishes no introspection endpoint, naming the setting", async () => {
    issuer.metadata = { jwks_uri: `${issuer.url}/jwks` };
    const error = await rejection(introspectionVerifier(introspecting()).verify("t", [AUDIENCE]));
    expect(error.code).toBe("issuer_unavailable");
    expect(error.message).toBe(
      `The OAuth issuer ${issuer.url} publishes no introspection_endpoint; set oauth.introspection.endpoint`,
    );
  });

  it("answers issuer_unavailable when the endpoint fails or redirects", async () => {
    issuer.introspection = 500;
    const endpoint = `${issuer.url}/introspect`;
    const failed = await rejection(
      introspectionVerifier(introspecting({ endpoint })).verify("t", [AUDIENCE]),
    );
    expect(failed.code).toBe("issuer_unavailable");
    expect(failed.message).toBe(`Token introspection at ${endpoint} failed: HTTP 500`);
    const moved = `${issuer.url}/moved`;
    const redirected = await rejection(
      introspectionVerifier(introspecting({ endpoint: moved })).verify("t", [AUDIENCE]),
    );
    expect(redirected.code).toBe("issuer_unavailable");
    expect(redirected.message).toMatch(new RegExp(`^Token introspection at ${moved} failed: `));
    expect(issuer.introspections).toHaveLength(1);
  });

  it.each([
    ["inactive", { active: false }],
    ["active only as a string", { active: "true" }],
  ])("refuses a token the issuer reports %s", async (_name, answer) => {
    issuer.introspection = { ...(issuer.introspection as object), ...answer };
    expectRefused(
      await rejection(introspectionVerifier(introspecting()).verify("t", [AUDIENCE])),
      "inactive",
      "the issuer reports it inactive",
    );
  });

  it("applies exp and nbf with the allowed skew", async () => {
    const verifier = introspectionVerifier(introspecting());
    const base = issuer.introspection as Record<string, unknown>;
    const answer = async (extra: Record<string, unknown>) => {
      issuer.introspection = { ...base, ...extra };
      return verifier.verify("t", [AUDIENCE]);
    };
    await expect(answer({ exp: now() - 10 })).resolves.toMatchObject({ subject: "alice" });
    await expect(answer({ exp: now() + 300, nbf: now() + 10 })).resolves.toMatchObject({ subject: "alice" });
    expectRefused(await rejection(answer({ exp: now() - 60 })), "expired", "it has expired");
    expectRefused(await rejection(answer({ exp: now() - 30 })), "expired", "it has expired");
    expectRefused(await rejection(answer({ nbf: now() + 60 })), "not_yet_valid", "it is not valid yet");
    await expect(answer({ exp: String(now() - 600), nbf: String(now() + 600) })).resolves.toMatchObject({
      subject: "alice",
    });
  });

  it("refuses another issuer and accepts an answer without iss", async () => {
    const verifier = introspectionVerifier(introspecting());
    const base = issuer.introspection as Record<string, unknown>;
    issuer.introspection = { ...base, iss: "https://impostor.test" };
    expectRefused(
      await rejection(verifier.verify("t", [AUDIENCE])),
      "wrong_issuer",
      "it was issued by another issuer",
    );
    const { iss: _iss, ...withoutIss } = base;
    issuer.introspection = withoutIss;
    await expect(verifier.verify("t", [AUDIENCE])).resolves.toMatchObject({ subject: "alice" });
  });

  it("checks the audience as a string or an array, and refuses an answer without one", async () => {
    const verifier = introspectionVerifier(introspecting());
    const base = issuer.introspection as Record<string, unknown>;
    const audience = async (aud: unknown) => {
      issuer.introspection = { ...base, aud };
      return verifier.verify("t", [AUDIENCE]);
    };
    await expect(audience([OTHER, AUDIENCE])).resolves.toMatchObject({ subject: "alice" });
    await expect(audience(AUDIENCE)).resolves.toMatchObject({ subject: "alice" });
    for (const wrong of [OTHER, [OTHER], undefined, 7, `x${AUDIENCE}`]) {
      expectRefused(
        await rejection(audience(wrong)),
        "wrong_audience",
        "its audience is not this endpoint of the gateway",
      );
    }
  });

  it("refuses an active answer naming no subject and no client", async () => {
    const { sub: _sub, ...anonymous } = issuer.introspection as Record<string, unknown>;
    issuer.introspection = anonymous;
    expectRefused(
      await rejection(introspectionVerifier(introspecting()).verify("t", [AUDIENCE])),
      "no_subject",
      "the token names no subject (sub) and no client",
    );
  });
});
