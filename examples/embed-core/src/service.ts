import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { ApiKeyRecord, AuditEntry, AuditWriter, Repositories } from "@waygate/core";

/** What the service needs: Waygate's repositories (for keys and history) and an audit writer. */
export interface ServiceDeps {
  repos: Repositories;
  audit: AuditWriter;
}

const MAX_BODY_BYTES = 64 * 1024;

/**
 * An HTTP service that shares Waygate's API keys and audit trail:
 *   POST /echo   (scope `tools:call`) echoes its JSON body and writes an audit row;
 *   GET  /audit  (scope `admin`) lists the newest audit rows.
 */
export function createService({ repos, audit }: ServiceDeps): Server {
  return createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      send(res, 500, { error: { code: "INTERNAL", message: "internal error" } });
      console.error("request failed", { error: error instanceof Error ? error.message : String(error) });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = randomUUID();
    const url = new URL(req.url ?? "/", "http://localhost");
    const route = `${req.method} ${url.pathname}`;
    if (route !== "POST /echo" && route !== "GET /audit") {
      return send(res, 404, { error: { code: "NOT_FOUND", message: `No route ${route}` } });
    }
    const base = { requestId, server: "embed-core", tool: url.pathname.slice(1), transport: "rest" } as const;
    const finish = (entry: Pick<AuditEntry, "keyId" | "outcome" | "error" | "arguments">) =>
      audit.record({ ...base, ...entry, durationMs: performance.now() - started });

    const auth = await authenticate(req);
    if (!auth.ok) {
      // The denial is audited (with no key id: the key was not recognised) before the response goes out.
      await finish({ keyId: null, outcome: "denied", error: `api key ${auth.reason}` });
      return send(res, 401, { error: { code: "UNAUTHORIZED", message: `API key ${auth.reason}` } });
    }
    const needed = route === "GET /audit" ? "admin" : "tools:call";
    if (!auth.key.scopes.includes(needed)) {
      await finish({ keyId: auth.key.id, outcome: "denied", error: `missing scope ${needed}` });
      return send(res, 403, {
        error: { code: "FORBIDDEN", message: `This key lacks the "${needed}" scope` },
      });
    }

    if (route === "GET /audit") {
      const page = await repos.commandHistory.query({ limit: Number(url.searchParams.get("limit") ?? 20) });
      await finish({ keyId: auth.key.id, outcome: "ok" });
      return send(res, 200, { items: page.items, nextCursor: page.nextCursor });
    }

    const body = await readJson(req);
    if (!body.ok) {
      await finish({ keyId: auth.key.id, outcome: "error", error: body.message });
      return send(res, 400, { error: { code: "BAD_REQUEST", message: body.message } });
    }
    await finish({ keyId: auth.key.id, outcome: "ok", arguments: body.value });
    return send(res, 200, { echo: body.value, requestId });
  }

  async function authenticate(
    req: IncomingMessage,
  ): Promise<{ ok: true; key: ApiKeyRecord } | { ok: false; reason: string }> {
    const header = req.headers.authorization ?? "";
    const match = /^Bearer (.+)$/.exec(header);
    if (!match?.[1]) return { ok: false, reason: "missing" };
    return repos.apiKeys.verify(match[1]);
  }
}

async function readJson(
  req: IncomingMessage,
): Promise<{ ok: true; value: unknown } | { ok: false; message: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return { ok: false, message: `Body larger than ${MAX_BODY_BYTES} bytes` };
    chunks.push(chunk as Buffer);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString("utf8")) };
  } catch {
    return { ok: false, message: "Body is not valid JSON" };
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
