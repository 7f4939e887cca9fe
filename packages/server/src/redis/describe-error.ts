/** An error's message without any URL credentials: what the Redis clients' errors may be logged or answered with. */
export function describeRedisError(error: unknown): string {
  const message = error instanceof Error ? error.message || error.name : String(error);
  return message.replace(/\/\/[^@/\s]*@/g, "//***@");
}
