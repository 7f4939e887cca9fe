import { describe, expect, it, vi } from "vitest";
import type { GeneratedKey } from "../src/api-keys/key-format.js";
import { createRepositories } from "../src/index.js";
import { rejectionOf, SECRET, useTempDirs } from "./helpers.js";

// Two random 12-character lookup ids never meet in a test run, so the key generator is the one part replaced here:
// it hands out the keys queued in `planned` before fresh ones. The clash itself is real: SQLite's UNIQUE index on
// api_keys.prefix refuses the second row.
const planned: GeneratedKey[] = [];
const generated: GeneratedKey[] = [];
vi.mock("../src/api-keys/key-format.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../src/api-keys/key-format.js")>();
  return {
    ...original,
    generateApiKey: () => {
      const key = planned.shift() ?? original.generateApiKey();
      generated.push(key);
      return key;
    },
  };
});

const temp = useTempDirs();

async function setUp() {
  planned.length = 0;
  generated.length = 0;
  const db = await temp.db();
  const repos = createRepositories(db, { secretKey: SECRET });
  const first = await repos.apiKeys.create({ name: "first", scopes: [] });
  generated.length = 0;
  const taken = { plaintext: first.plaintext, prefix: first.key.prefix };
  return { db, repos, taken };
}

describe("apiKeys.create on a prefix clash", () => {
  it("draws a new key after a clash, up to the third try, and the key it returns works", async () => {
    const { repos, taken } = await setUp();
    planned.push(taken, taken);
    const { key, plaintext } = await repos.apiKeys.create({ name: "second", scopes: [] });
    expect(generated).toHaveLength(3);
    expect(key.prefix).not.toBe(taken.prefix);
    expect(plaintext).toBe(generated[2]?.plaintext);
    expect((await repos.apiKeys.verify(plaintext)).ok).toBe(true);
    expect((await repos.apiKeys.verify(taken.plaintext)).ok).toBe(true);
    expect(await repos.apiKeys.count()).toBe(2);
  });

  it("gives up after three clashes with the database's error, storing nothing", async () => {
    const { repos, taken } = await setUp();
    planned.push(taken, taken, taken, taken);
    const error = await rejectionOf(repos.apiKeys.create({ name: "second", scopes: [] }));
    expect(error.code).toBe("DATABASE_ERROR");
    expect(error.message).toContain("(while creating an API key)");
    expect(error.message).toContain("UNIQUE constraint failed: api_keys.prefix");
    expect(generated).toHaveLength(3);
    expect(await repos.apiKeys.count()).toBe(1);
    const events = await repos.systemEvents.list({ type: "api_key.created" });
    expect(events.items).toHaveLength(1);
  });

  it("does not retry any other failure", async () => {
    const { db, repos } = await setUp();
    await db.client.execute(
      "CREATE TRIGGER no_new_keys BEFORE INSERT ON api_keys BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END",
    );
    const error = await rejectionOf(repos.apiKeys.create({ name: "second", scopes: [] }));
    expect(error.message).toContain("refused by a test trigger");
    expect(generated).toHaveLength(1);
  });
});
