import { type Router as ExpressRouter, Router as expressRouter } from "express";
import type { GatewayContext } from "../../gateway-context.js";
import type { LiveUpdate } from "../../live-updates.js";

const HEARTBEAT_MS = 25_000;

/** One server-sent event: a name and a one-line JSON payload (JSON.stringify never writes a newline). */
const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * `GET /admin/stream`: server-sent events telling the console (or a script) what changed, so it refreshes then
 * instead of polling: `servers` when a server starts, fails, changes state or stops; `calls` when calls were audited
 * (at most one per second). The payload names what changed; the figures themselves stay on their documented routes.
 */
export function adminStreamRoutes(ctx: GatewayContext): ExpressRouter {
  const routes = expressRouter();
  routes.get("/", (req, res) => {
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      // Proxies (nginx) would otherwise hold the events back.
      "X-Accel-Buffering": "no",
    });
    res.write(`retry: 5000\n${frame("ready", { at: new Date().toISOString() })}`);
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
    heartbeat.unref();
    const stop = () => {
      clearInterval(heartbeat);
      unsubscribe();
    };
    const unsubscribe = ctx.live.subscribe({
      update: (update: LiveUpdate) => {
        const { kind, ...data } = update;
        res.write(frame(kind, data));
      },
      close: () => {
        stop();
        res.end();
      },
    });
    // Credentials are checked when the stream opens: ending it makes the client reconnect and be checked again.
    const lifetime = setTimeout(() => {
      stop();
      res.end();
    }, ctx.options.timeouts.adminStreamMs);
    lifetime.unref();
    req.on("close", () => {
      clearTimeout(lifetime);
      stop();
    });
  });
  return routes;
}
