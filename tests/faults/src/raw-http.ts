import { connect } from "node:net";

/** What a slow client saw: the bytes the server sent back and how long until it closed the socket. */
export interface SlowClientResult {
  response: string;
  closedAfterMs: number;
  bytesSent: number;
}

/**
 * Writes `head` at once, then `drip` one byte every `byteMs` ms, until the server closes the socket or
 * `giveUpMs` passes (then the test's own socket is destroyed, so nothing outlives the test).
 */
export function slowClient(options: {
  url: string;
  head: string;
  drip: string;
  byteMs: number;
  giveUpMs: number;
}): Promise<SlowClientResult> {
  const { hostname, port } = new URL(options.url);
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ host: hostname, port: Number(port) });
    let response = "";
    let bytesSent = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ response, closedAfterMs: Math.round(performance.now() - started), bytesSent });
    };
    const giveUp = setTimeout(finish, options.giveUpMs);
    socket.on("data", (chunk) => {
      response += chunk.toString();
    });
    socket.on("close", finish);
    socket.on("error", () => {});
    socket.on("connect", () => {
      socket.write(options.head);
      bytesSent += options.head.length;
      let index = 0;
      timer = setInterval(() => {
        if (index >= options.drip.length || socket.destroyed) return;
        socket.write(options.drip[index++] ?? "");
        bytesSent++;
      }, options.byteMs);
    });
  });
}
