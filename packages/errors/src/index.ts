// Every export of this file is public API of @waygate/errors.
export {
  isWaygateError,
  WaygateError,
  type WaygateErrorClass,
  type WaygateErrorOptions,
} from "./waygate-error.js";
