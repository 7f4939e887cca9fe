import { describe, expect, it } from "vitest";
import { createRepositories } from "../src/index.js";
import { manualClock, SECRET, useTempDirs } from "./helpers.js";

const temp = useTempDirs();

async function eras() {
  const clock = manualClock();
  const db = await temp.db();
  const repos = createRepositories(db, { secretKey: SECRET, clock: clock.now });
  return { repo: repos.upstreamEras, clock, db };
}

const discover = { supportedVersions: ["2026-07-28"], capabilities: { tools: {} } };

describe("upstreamEras", () => {
  it("records verdicts dated now, replaces a server's verdict, and forgets it", async () => {
    const { repo, clock } = await eras();
    expect(await repo.list()).toEqual([]);
    await repo.record("docs", "fp-1", { era: "legacy" });
    clock.advance(60_000);
    await repo.record("search", "fp-2", { era: "modern", discover });
    expect(await repo.list()).toEqual([
      {
        name: "docs",
        fingerprint: "fp-1",
        verdict: { era: "legacy" },
        checkedAt: new Date("2026-01-01T00:00:00Z"),
      },
      {
        name: "search",
        fingerprint: "fp-2",
        verdict: { era: "modern", discover },
        checkedAt: new Date("2026-01-01T00:01:00Z"),
      },
    ]);
    // The upstream moved to the 2026 era behind a new URL: one row, the new verdict and date.
    clock.advance(60_000);
    await repo.record("docs", "fp-3", { era: "modern", discover });
    const docs = (await repo.list()).find((record) => record.name === "docs");
    expect(docs).toEqual({
      name: "docs",
      fingerprint: "fp-3",
      verdict: { era: "modern", discover },
      checkedAt: new Date("2026-01-01T00:02:00Z"),
    });
    await repo.forget("docs");
    expect((await repo.list()).map((record) => record.name)).toEqual(["search"]);
  });

  it("skips a row it cannot read, so that upstream is probed again", async () => {
    const { repo, db } = await eras();
    await repo.record("good", "fp", { era: "legacy" });
    await db.client.execute({
      sql: "INSERT INTO upstream_eras (name, fingerprint, verdict, checked_at) VALUES (?, ?, ?, ?)",
      args: ["torn", "fp", "{not json", 0],
    });
    await db.client.execute({
      sql: "INSERT INTO upstream_eras (name, fingerprint, verdict, checked_at) VALUES (?, ?, ?, ?)",
      args: ["odd", "fp", JSON.stringify({ era: "modern" }), 0],
    });
    expect((await repo.list()).map((record) => record.name)).toEqual(["good"]);
  });
});
