import { defineConfig } from "vitest/config";

// The tests StrykerJS runs against the mutated policy and token modules (stryker.config.mjs): the unit tests that
// drive each module directly and assert what it promises (tool-patterns, call-policy-admission, access-token). The
// gateway-level tests that also pass through them (policy, call-policy, oauth, oauth-flow) start a gateway or an
// OpenID provider again for every mutant they cover, which made one run of the three modules take about an hour on
// two busy cores; they still run in `pnpm test`, and the scores count only what the unit tests prove.
export default defineConfig({
  test: {
    include: [
      "test/tool-patterns.test.ts",
      "test/call-policy-admission.test.ts",
      "test/access-token.test.ts",
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    maxWorkers: 2,
  },
});
