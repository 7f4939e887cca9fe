import express, { type Router as ExpressRouter, Router as expressRouter, type RequestHandler } from "express";

/**
 * The console's Content-Security-Policy: its own scripts, styles, images and API only, nothing inline, nothing from
 * another origin (so it works offline), and never framed.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const consoleHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader("Content-Security-Policy", CONSOLE_CSP);
  res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("X-Frame-Options", "DENY");
  next();
};

/** Serves the built console (`index.html` and hashed assets) under `/console` with its CSP. */
export function consoleAssetRoutes(assetsDir: string): ExpressRouter {
  const routes = expressRouter();
  routes.use(consoleHeaders);
  // Hashed file names never change: cache them; index.html is revalidated so a new build is picked up.
  routes.use(
    "/assets",
    express.static(`${assetsDir}/assets`, { immutable: true, maxAge: "1y", index: false, fallthrough: true }),
  );
  routes.get("/", (req, res, next) => {
    // `/console` without the slash: relative asset URLs need the trailing slash.
    if (!req.originalUrl.split("?")[0]?.endsWith("/")) return res.redirect(301, `${req.baseUrl}/`);
    res.setHeader("Cache-Control", "no-cache");
    res.sendFile("index.html", { root: assetsDir }, (error) => error && next(error));
  });
  return routes;
}
