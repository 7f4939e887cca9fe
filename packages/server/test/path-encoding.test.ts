import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, post, startGateway, type TestGateway, type TestResponse } from "./helpers.js";

let t: TestGateway;
let admin: Record<string, string>;

async function del(url: string, headers: Record<string, string>): Promise<TestResponse> {
  const response = await fetch(url, { method: "DELETE", headers });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

beforeAll(async () => {
  t = await startGateway();
  admin = { authorization: `Bearer ${await t.key(["admin"])}` };
});
afterAll(async () => {
  await t?.close();
});

const MESSAGE =
  "The request path has malformed percent-encoding: write a literal '%' as %25 and encode only UTF-8 bytes, two hex digits each";

describe("malformed percent-encoding in the path", () => {
  it("answers /servers/%ZZ/mcp without a key with 400 bad_request, before authentication", async () => {
    const res = await post(`${t.url}/servers/%ZZ/mcp`, { jsonrpc: "2.0", id: 1, method: "ping" });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "bad_request", message: MESSAGE });
    expect(res.body.error.requestId).toBe(res.headers.get("x-request-id"));
  });

  it("answers DELETE /admin/keys/%ZZ with an admin key with 400 bad_request", async () => {
    const res = await del(`${t.url}/admin/keys/%ZZ`, admin);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "bad_request", message: MESSAGE });
  });

  it("answers a malformed path no route knows with 400 bad_request rather than 404", async () => {
    const res = await get(`${t.url}/nowhere/%E0%A4%A`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "bad_request", message: MESSAGE });
  });

  it("still serves well-formed percent-encoding in a path parameter", async () => {
    const res = await get(`${t.url}/admin/servers`, admin);
    expect(res.status).toBe(200);
    const encoded = await del(`${t.url}/admin/keys/no%20such%20key`, admin);
    expect(encoded.status).toBe(404);
    expect(encoded.body.error.message).toContain("no such key");
  });
});
