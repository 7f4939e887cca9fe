import { createServer } from "node:net";

/** A loopback port nothing listens on (bound to port 0, then released), for "upstream unreachable" tests. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

/** The text of a tool result's first block. */
export const textOf = (result: { content: unknown[] }) => (result.content[0] as { text: string }).text;
