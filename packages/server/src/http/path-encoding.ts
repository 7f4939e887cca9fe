import type { RequestHandler } from "express";
import { BadRequestError } from "../errors/errors.js";
import { sendError } from "../errors/send-error.js";

/** What a client is told about a path that cannot be percent-decoded. */
export const MALFORMED_PATH_MESSAGE =
  "The request path has malformed percent-encoding: write a literal '%' as %25 and encode only UTF-8 bytes, two hex digits each";

/** True when the path percent-decodes, as Express later decodes each route parameter. */
export function pathDecodes(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Refuses a path that does not percent-decode with 400 before any route, authentication included: otherwise Express
 * throws while matching a route parameter and the request ends as a 500.
 */
export function rejectMalformedPaths(production: boolean): RequestHandler {
  return (req, res, next) => {
    if (pathDecodes(req.path)) return next();
    sendError(res, new BadRequestError(MALFORMED_PATH_MESSAGE), production);
  };
}
