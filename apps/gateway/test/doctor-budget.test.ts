import { describe, expect, it } from "vitest";
import { createBudget, withinBudget } from "../src/doctor/budget.js";
import { ok } from "../src/doctor/finding.js";

describe("doctor's check budget", () => {
  it("passes a check that answers its finding through, giving it what is left as its timeout", async () => {
    const budget = createBudget(60_000);
    let given = 0;
    const found = await withinBudget(
      budget,
      "database",
      async (ms) => {
        given = ms;
        return [ok("database", "opened")];
      },
      "fix it",
    );
    expect(found).toEqual([ok("database", "opened")]);
    expect(given).toBeGreaterThan(0);
    expect(given).toBeLessThanOrEqual(60_000);
  });

  it("turns a check that never answers into a failed finding naming it and its timeout", async () => {
    const found = await withinBudget(createBudget(50), "upstream mute", () => new Promise(() => {}), "rerun");
    expect(found).toEqual([
      {
        check: "upstream mute",
        status: "fail",
        detail: expect.stringMatching(/^no answer within \d+ ms$/),
        fix: "rerun",
      },
    ]);
  });

  it("does not start a check once the budget is spent, and says so", async () => {
    let ran = false;
    const found = await withinBudget(
      createBudget(0),
      "upstream late",
      async () => {
        ran = true;
        return [];
      },
      "rerun with a larger --timeout",
    );
    expect(ran).toBe(false);
    expect(found).toEqual([
      {
        check: "upstream late",
        status: "warn",
        detail: "not checked: doctor's 0 ms ran out on earlier checks",
        fix: "rerun with a larger --timeout",
      },
    ]);
  });
});
