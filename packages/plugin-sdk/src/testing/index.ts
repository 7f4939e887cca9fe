// Every export of this file is public API.
export {
  type CallOptions,
  createTestHarness,
  type ProgressEvent,
  type TestHarness,
  type TestHarnessOptions,
} from "./harness.js";
