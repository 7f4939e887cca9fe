import { strykerConfig } from "../../scripts/stryker-base.mjs";

// The read-only SQL policy.
export default strykerConfig(["src/sql-policy.ts"]);
