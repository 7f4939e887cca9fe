import { describe, expect, it } from "vitest";
import { restartDelayMs } from "../src/bridge/index.js";

const policy = { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 1_000 };

describe("restartDelayMs", () => {
  it("doubles per attempt up to the cap, with half of each delay random", () => {
    const low = () => 0;
    const high = () => 1;
    expect([1, 2, 3, 4, 5, 6].map((attempt) => restartDelayMs(attempt, policy, low))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
    expect([1, 2, 3, 4, 5, 6].map((attempt) => restartDelayMs(attempt, policy, high))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });

  it("spreads bridges that restart at the same attempt", () => {
    const delays = new Set(Array.from({ length: 20 }, () => restartDelayMs(3, policy)));
    expect(delays.size).toBeGreaterThan(1);
    for (const delay of delays) expect(delay).toBeGreaterThanOrEqual(200);
  });
});
