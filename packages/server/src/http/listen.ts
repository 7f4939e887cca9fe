import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";
import type winston from "winston";
import type { GatewayOptions } from "../options.js";
import { answerClientError } from "./client-errors.js";

/** Where a listening gateway can be reached. */
export interface ListeningAddress {
  host: string;
  port: number;
  url: string;
}

/** Starts an HTTP server for the app with the gateway's request, header and keep-alive timeouts. */
export function listenHttp(
  app: Express,
  options: GatewayOptions,
  logger: winston.Logger,
  at: { host: string; port: number },
): { server: HttpServer; listening: Promise<ListeningAddress> } {
  // Node checks the request and header deadlines on this interval (30 s by default), so keep it in step with them.
  const server = createServer(
    { connectionsCheckingInterval: Math.max(100, Math.min(options.timeouts.headersMs / 2, 30_000)) },
    app,
  );
  server.requestTimeout = options.timeouts.requestMs;
  server.headersTimeout = options.timeouts.headersMs;
  server.keepAliveTimeout = options.timeouts.keepAliveMs;
  server.on("clientError", answerClientError);
  const listening = new Promise<ListeningAddress>((resolve, reject) => {
    server.once("error", reject);
    server.listen(at.port, at.host, () => {
      server.off("error", reject);
      const address = server.address() as AddressInfo;
      const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
      logger.info("gateway listening", { host: address.address, port: address.port, auth: options.auth });
      resolve({ host: address.address, port: address.port, url: `http://${shown}:${address.port}` });
    });
  });
  return { server, listening };
}
