import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import winston from "winston";
import { createLogger, redactSecrets } from "../src/logger.js";

describe("redactSecrets", () => {
  it("replaces secret-looking fields at any depth and keeps the rest", () => {
    expect(
      redactSecrets({
        keyId: "k1",
        authorization: "Bearer wg_x",
        nested: { apiKey: "wg_y", env: { TOKEN: "t" }, ok: 1 },
      }),
    ).toEqual({
      keyId: "k1",
      authorization: "[redacted]",
      nested: { apiKey: "[redacted]", env: "[redacted]", ok: 1 },
    });
  });
});

describe("createLogger", () => {
  it("writes JSON lines without secrets", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "info" });
    logger.clear();
    logger.add(
      new winston.transports.Stream({
        stream: new Writable({
          write(chunk, _encoding, done) {
            lines.push(String(chunk));
            done();
          },
        }),
      }),
    );
    logger.info("tool call", { requestId: "r1", token: "secret-token", headers: { authorization: "x" } });
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ level: "info", message: "tool call", requestId: "r1", token: "[redacted]" });
    expect(lines[0]).not.toContain("secret-token");
    expect(line.timestamp).toBeTypeOf("string");
  });
});
