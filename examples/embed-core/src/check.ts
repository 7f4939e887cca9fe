// Self-check run by `pnpm test`: starts the service on a loopback port with a temp database, drives it
// over real HTTP and exits non-zero on any wrong result.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAuditWriter, createRepositories, openDatabase, verifyAuditChain } from "@waygate/core";
import { createService } from "./service.js";

const dir = mkdtempSync(join(tmpdir(), "waygate-embed-core-"));
const db = await openDatabase({ url: `file:${join(dir, "waygate.db")}` });
const secretKey = "example-secret-key-0123456789abcdef-01";
const repos = createRepositories(db, { secretKey });
const audit = createAuditWriter(db, { secretKey });
const server = createService({ repos, audit });
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

/** The parts of the service's JSON replies the checks look at. */
interface Reply {
  echo?: unknown;
  error?: { code: string; message: string };
  items?: Array<{ outcome: string; arguments: unknown; keyId: string | null }>;
}

async function call(path: string, key: string | null, body?: string) {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: key ? { authorization: `Bearer ${key}` } : {},
    body,
  });
  return { status: res.status, json: (await res.json()) as Reply };
}

try {
  const caller = await repos.apiKeys.create({ name: "caller", scopes: ["tools:call"] });
  const admin = await repos.apiKeys.create({ name: "admin", scopes: ["admin"] });

  const ok = await call("/echo", caller.plaintext, JSON.stringify({ q: "hello", password: "hunter2" }));
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json.echo, { q: "hello", password: "hunter2" });

  assert.equal((await call("/echo", null, "{}")).status, 401);
  const forged = await call("/echo", `${caller.plaintext.slice(0, 16)}${"A".repeat(43)}`, "{}");
  assert.equal(forged.status, 401);
  assert.match(forged.json.error?.message ?? "", /unknown/);
  assert.equal((await call("/echo", admin.plaintext, "{}")).status, 403);
  const badJson = await call("/echo", caller.plaintext, "{not json");
  assert.equal(badJson.status, 400);
  assert.match(badJson.json.error?.message ?? "", /not valid JSON/);

  await repos.apiKeys.revoke(caller.key.id);
  const revoked = await call("/echo", caller.plaintext, "{}");
  assert.equal(revoked.status, 401);
  assert.match(revoked.json.error?.message ?? "", /revoked/);

  // Every request above was audited before its response; the echo row has the password redacted.
  const history = await call("/audit?limit=50", admin.plaintext);
  assert.equal(history.status, 200);
  const rows = history.json.items ?? [];
  assert.deepEqual(rows.map((row) => row.outcome).reverse(), [
    "ok",
    "denied",
    "denied",
    "denied",
    "error",
    "denied",
  ]);
  assert.deepEqual(rows.at(-1)?.arguments, { q: "hello", password: "[REDACTED]" });
  assert.equal(rows.at(-1)?.keyId, caller.key.id);
  // The rows form one chain keyed by the secret: nothing was edited, dropped or reordered.
  await audit.flush();
  const stored = Number((await db.client.execute("SELECT count(*) FROM command_history")).rows[0]?.[0]);
  const chain = await verifyAuditChain(db, { secretKey });
  assert.deepEqual({ ok: chain.ok, verified: chain.verified }, { ok: true, verified: stored });
  console.log(`embed-core example: all checks passed (${rows.length} audit rows)`);
} finally {
  await new Promise((resolve) => server.close(resolve));
  await audit.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
}
