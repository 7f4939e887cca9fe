import express, { type ErrorRequestHandler, type RequestHandler } from "express";
import { GatewayError } from "../errors/errors.js";
import { sendError } from "../errors/send-error.js";

/** Parses JSON bodies up to the limit; the paired error handler turns parser failures into clear 400/413s. */
export function jsonBody(limitBytes: number): RequestHandler {
  return express.json({ limit: limitBytes, type: ["application/json", "application/*+json"] });
}

/** Refuses a body-carrying request whose Content-Type is not JSON with 415. */
export function requireJsonContentType(production: boolean): RequestHandler {
  return (req, res, next) => {
    if (req.is(["application/json", "application/*+json"])) return next();
    const type = req.header("content-type") ?? "none";
    sendError(
      res,
      new GatewayError("unsupported_media_type", `Content-Type must be application/json (got ${type})`),
      production,
    );
  };
}

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

/** Maps body-parser errors: oversized bodies to 413, malformed JSON to 400, anything else to 500. */
export function bodyErrorHandler(production: boolean): ErrorRequestHandler {
  return (error: BodyParserError, _req, res, next) => {
    if (error?.type === "entity.too.large") {
      return sendError(
        res,
        new GatewayError(
          "payload_too_large",
          `Request body exceeds the limit of ${error.limit ?? "?"} bytes`,
        ),
        production,
      );
    }
    if (error?.type === "entity.parse.failed") {
      return sendError(res, new GatewayError("parse_error", "Request body is not valid JSON"), production);
    }
    if (error?.type === "charset.unsupported" || error?.type === "encoding.unsupported") {
      return sendError(
        res,
        new GatewayError("unsupported_media_type", "Unsupported body encoding"),
        production,
      );
    }
    next(error);
  };
}
