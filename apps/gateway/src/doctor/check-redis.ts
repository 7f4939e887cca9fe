import { type Finding, ok, problem } from "./finding.js";

const ENV_FIX = "set REDIS_URL to a URL such as redis://localhost:6379 (rediss:// for TLS)";

/** A Redis URL fit for output: user name and password removed. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.href.replace(/\/$/, "");
  } catch {
    return "REDIS_URL";
  }
}

/**
 * Connects to `REDIS_URL` once, sends PING and disconnects: the check that shared rate limits and the round relay can work.
 * Nothing is retried, so an unreachable Redis fails within `timeoutMs`.
 */
export async function checkRedisReachable(url: string, timeoutMs: number): Promise<Finding> {
  const shown = redactRedisUrl(url);
  // Loaded only when REDIS_URL is set, so doctor without Redis never loads a Redis client.
  const { createClient } = await import("@redis/client");
  let client: ReturnType<typeof createClient>;
  try {
    client = createClient({
      url,
      disableOfflineQueue: true,
      socket: { connectTimeout: timeoutMs, reconnectStrategy: false },
    });
  } catch (error) {
    return problem("redis", "fail", `REDIS_URL is not usable: ${(error as Error).message}`, ENV_FIX);
  }
  let lastError: Error | undefined;
  client.on("error", (error: Error) => {
    lastError = error;
  });
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    const pong = await Promise.race([client.connect().then(() => client.ping()), timeout]);
    const ms = Math.round(performance.now() - started);
    return ok("redis", `${shown} answered ${String(pong)} in ${ms} ms`);
  } catch (error) {
    const reason = (error as Error).message || lastError?.message || String(error);
    return problem(
      "redis",
      "fail",
      `cannot reach ${shown}: ${reason}`,
      "start Redis or fix REDIS_URL (host, port, password; rediss:// for TLS); until then replicas do not share rate limits or relay input_required rounds",
    );
  } finally {
    clearTimeout(timer);
    if (client.isOpen) await client.close().catch(() => client.destroy());
  }
}
