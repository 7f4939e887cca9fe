// Every export of this file is public API (the `@waygate/core/egress` entry: no database driver, no HTTP client).
export { EgressRefusedError } from "../errors.js";
export { ADDRESS_CLASS_DESCRIPTIONS, type AddressClass, parseCidr } from "./address-class.js";
export {
  CidrSchema,
  createEgressPolicy,
  type EgressPolicy,
  type EgressPolicyOptions,
  type EgressResolver,
  type EgressSettings,
  EgressSettingsSchema,
  type ResolvedAddress,
} from "./egress-policy.js";
