/**
 * What the GitHub bridge's policy adds to a call: round trips through the bridge to the GitHub look-alike on
 * loopback (forwarded) against calls the policy denies (never leave the process). Prints mean and p95.
 *
 *   pnpm --filter @waygate/bridge-github bench
 */
import { createTestHarness } from "@waygate/plugin-sdk/testing";
import { startGithubFixture } from "../../../fixtures/vendor-github.js";
import { createGithubBridge } from "../src/index.js";

const TOKEN = "bench-token";
const ITERATIONS = 500;

function stats(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
  const p95 = sorted[Math.floor(sorted.length * 0.95)] ?? 0;
  return `mean ${mean.toFixed(3)} ms  p95 ${p95.toFixed(3)} ms`;
}

async function time(run: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 20; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  return samples;
}

const upstream = await startGithubFixture({ token: TOKEN });
const harness = await createTestHarness(
  createGithubBridge({ token: TOKEN, url: upstream.url, owner: "acme" }),
);
try {
  const allowed = await time(() => harness.callTool("list_issues", { owner: "acme", repo: "site" }));
  const denied = await time(() => harness.callTool("list_issues", { owner: "other", repo: "site" }));
  console.log(`GitHub bridge, ${ITERATIONS} calls each (Streamable HTTP fixture on 127.0.0.1)`);
  console.log(`  forwarded (owner allowed)  ${stats(allowed)}`);
  console.log(`  denied by owner policy     ${stats(denied)}`);
} finally {
  await harness.close();
  await upstream.close();
}
