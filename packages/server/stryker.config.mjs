import { strykerConfig } from "../../scripts/stryker-base.mjs";

// Capability patterns, the one admission sequence of every call, and OAuth access-token verification.
export default strykerConfig(
  ["src/policy/tool-patterns.ts", "src/policy/call-policy.ts", "src/auth/access-token.ts"],
  { vitest: { configFile: "vitest.mutation.config.ts", related: false } },
);
