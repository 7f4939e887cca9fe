import { strykerConfig } from "../../scripts/stryker-base.mjs";

// Key format and verification, redaction, the API-key repository and the egress policy.
export default strykerConfig([
  "src/redact.ts",
  "src/api-keys/key-format.ts",
  "src/repositories/api-keys.ts",
  "src/egress/egress-policy.ts",
  "src/egress/address-class.ts",
]);
