import { once } from "node:events";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

/** A loopback HTTP proxy that sends each request to the next of `targets` in turn, as a load balancer without affinity does. */
export interface RoundRobinProxy {
  url: string;
  /** The index of the target each request went to, in order. */
  routed: number[];
  close(): Promise<void>;
}

/** Starts the proxy on a free loopback port in front of `targets` (base URLs). */
export async function startRoundRobinProxy(targets: string[]): Promise<RoundRobinProxy> {
  const routed: number[] = [];
  let next = 0;
  const server = createServer((incoming, outgoing) => {
    const index = next++ % targets.length;
    routed.push(index);
    const target = new URL(incoming.url ?? "/", targets[index]);
    const forwarded = request(
      target,
      { method: incoming.method, headers: { ...incoming.headers, host: target.host } },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on("error", (error) => {
      outgoing.writeHead(502, { "content-type": "text/plain" });
      outgoing.end(`proxy: ${error.message}`);
    });
    incoming.pipe(forwarded);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    routed,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
