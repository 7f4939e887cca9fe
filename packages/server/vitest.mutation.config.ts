import { defineConfig } from "vitest/config";

// The tests StrykerJS runs against the mutated policy and token modules (stryker.config.mjs): the ones that exercise
// them, not the whole suite, whose load-sensitive scale-out and subprocess tests would only slow and shake each run.
export default defineConfig({
  test: {
    include: [
      "test/tool-patterns.test.ts",
      "test/call-policy.test.ts",
      "test/call-policy-admission.test.ts",
      "test/policy.test.ts",
      "test/oauth.test.ts",
      "test/oauth-flow.test.ts",
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    maxWorkers: 2,
  },
});
