import { describe, expect, it } from "vitest";
import {
  createRepositories,
  NotFoundError,
  type ObservedDefinition,
  PinOutdatedError,
} from "../src/index.js";
import { manualClock, SECRET, useTempDirs } from "./helpers.js";

const temp = useTempDirs();
const tool = (name: string, hash: string): ObservedDefinition => ({
  kind: "tool",
  name,
  hash,
  definition: { name, description: `says ${hash}` },
});

async function pins() {
  const clock = manualClock();
  const db = await temp.db();
  const repos = createRepositories(db, { secretKey: SECRET, clock: clock.now });
  return { repo: repos.definitionPins, clock };
}

describe("definitionPins.observe", () => {
  it("approves what a server serves the first time, then holds new, changed and removed definitions for a decision", async () => {
    const { repo, clock } = await pins();
    const first = await repo.observe("gh", ["tool"], [tool("read", "h1"), tool("list", "h2")]);
    expect(first.changes.map((c) => [c.name, c.change])).toEqual([
      ["read", "first"],
      ["list", "first"],
    ]);
    expect(first.pins.map((p) => [p.name, p.status, p.approvedHash])).toEqual([
      ["list", "approved", "h2"],
      ["read", "approved", "h1"],
    ]);

    clock.advance(1000);
    const next = await repo.observe("gh", ["tool"], [tool("read", "h1-evil"), tool("write", "h3")]);
    expect(next.changes.map((c) => [c.name, c.change]).sort()).toEqual([
      ["list", "removed"],
      ["read", "changed"],
      ["write", "new"],
    ]);
    const byName = Object.fromEntries(next.pins.map((p) => [p.name, p]));
    expect(byName.read).toMatchObject({ status: "changed", approvedHash: "h1", currentHash: "h1-evil" });
    expect(byName.read?.approvedDefinition).toEqual({ name: "read", description: "says h1" });
    expect(byName.read?.currentDefinition).toEqual({ name: "read", description: "says h1-evil" });
    expect(byName.write).toMatchObject({ status: "new", approvedHash: null, currentHash: "h3" });
    expect(byName.list).toMatchObject({ status: "removed", currentHash: null });

    // Seeing the same thing again changes nothing; going back to the approved definition restores it.
    expect(
      (await repo.observe("gh", ["tool"], [tool("read", "h1-evil"), tool("write", "h3")])).changes,
    ).toEqual([]);
    const back = await repo.observe("gh", ["tool"], [tool("read", "h1"), tool("write", "h3")]);
    expect(back.changes).toEqual([{ server: "gh", kind: "tool", name: "read", change: "restored" }]);
  });

  it("keeps kinds apart: a server's first prompts are approved even after its tools were pinned", async () => {
    const { repo } = await pins();
    await repo.observe("gh", ["tool"], [tool("read", "h1")]);
    const prompts = await repo.observe(
      "gh",
      ["prompt"],
      [{ kind: "prompt", name: "p", hash: "p1", definition: {} }],
    );
    expect(prompts.changes).toEqual([{ server: "gh", kind: "prompt", name: "p", change: "first" }]);
    expect((await repo.list({ server: "gh" })).map((p) => [p.kind, p.status])).toEqual([
      ["prompt", "approved"],
      ["tool", "approved"],
    ]);
  });
});

describe("definitionPins approve and reject", () => {
  it("approves one definition, refusing a hash that is no longer the pending one, and names the current one", async () => {
    const { repo } = await pins();
    await repo.observe("gh", ["tool"], [tool("read", "h1")]);
    await repo.observe("gh", ["tool"], [tool("read", "h2")]);
    const stale = await repo
      .approve({ server: "gh", kind: "tool", name: "read", hash: "h-old" }, "key-1")
      .catch((e) => e);
    expect(PinOutdatedError.isInstance(stale)).toBe(true);
    expect(stale.message).toContain("you saw h-old, the server now serves h2");
    expect(stale.current).toMatchObject({ name: "read", currentHash: "h2" });

    const approved = await repo.approve({ server: "gh", kind: "tool", name: "read", hash: "h2" }, "key-1");
    expect(approved.map((p) => p.name)).toEqual(["read"]);
    const [pin] = await repo.list({ server: "gh" });
    expect(pin).toMatchObject({ status: "approved", approvedHash: "h2", decidedBy: "key-1" });
  });

  it("approves a whole server or everything, and drops pins of removed definitions", async () => {
    const { repo } = await pins();
    await repo.observe("a", ["tool"], [tool("x", "1"), tool("gone", "g")]);
    await repo.observe("b", ["tool"], [tool("y", "1")]);
    await repo.observe("a", ["tool"], [tool("x", "2"), tool("new", "n")]);
    await repo.observe("b", ["tool"], [tool("y", "2")]);
    expect((await repo.approve({ server: "a" }, null)).map((p) => [p.name, p.status]).sort()).toEqual([
      ["gone", "removed"],
      ["new", "new"],
      ["x", "changed"],
    ]);
    expect((await repo.list({ server: "a" })).map((p) => [p.name, p.status])).toEqual([
      ["new", "approved"],
      ["x", "approved"],
    ]);
    expect((await repo.approve({}, "cli")).map((p) => p.server)).toEqual(["b"]);
    expect(await repo.list({ status: "changed" })).toEqual([]);
  });

  it("rejects a pending definition, keeps it rejected while the server serves it, and re-opens it when that changes", async () => {
    const { repo } = await pins();
    await repo.observe("gh", ["tool"], [tool("read", "h1")]);
    await repo.observe("gh", ["tool"], [tool("read", "evil")]);
    expect(await repo.reject({ server: "gh", kind: "tool", name: "read" }, "key-2")).toMatchObject({
      status: "rejected",
      decidedBy: "key-2",
    });
    expect((await repo.observe("gh", ["tool"], [tool("read", "evil")])).changes).toEqual([]);
    expect((await repo.observe("gh", ["tool"], [tool("read", "evil-2")])).pins[0]).toMatchObject({
      status: "changed",
    });
  });

  it("says what to do when nothing is pending under that name", async () => {
    const { repo } = await pins();
    await repo.observe("gh", ["tool"], [tool("read", "h1")]);
    for (const attempt of [
      repo.approve({ server: "gh", kind: "tool", name: "nope" }, null),
      repo.reject({ server: "gh", kind: "tool", name: "read" }, null),
    ]) {
      const error = await attempt.catch((e) => e);
      expect(NotFoundError.isInstance(error)).toBe(true);
      expect(error.message).toContain("waygate pins list");
    }
  });

  it("reports which servers' pins changed since a time, for other replicas", async () => {
    const { repo, clock } = await pins();
    await repo.observe("a", ["tool"], [tool("x", "1")]);
    const mark = (await repo.changedSince(0)).latest;
    clock.advance(5);
    await repo.observe("b", ["tool"], [tool("y", "1")]);
    expect(await repo.changedSince(mark)).toEqual({ servers: ["b"], latest: mark + 5 });
    expect((await repo.changedSince(mark + 5)).servers).toEqual([]);
  });
});
