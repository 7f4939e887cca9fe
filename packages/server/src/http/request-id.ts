import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";
import { contextOf } from "./request-context.js";

const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Gives every request an id (the caller's `X-Request-Id` when well-formed) and echoes it in the response. */
export function requestIdMiddleware(): RequestHandler {
  return (req, res, next) => {
    const incoming = req.header("x-request-id");
    const requestId = incoming && ACCEPTABLE_ID.test(incoming) ? incoming : randomUUID();
    const context = contextOf(res);
    context.requestId = requestId;
    context.errorStyle = "rest";
    res.setHeader("X-Request-Id", requestId);
    next();
  };
}
